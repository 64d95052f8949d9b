"use client";

import { useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { Field, Input } from "@/components/ui/field";
import { StatusMessage } from "@/components/ui/status-message";
import { useI18n } from "@/lib/i18n/client";
import { allowPoster, approvePost, rejectPost } from "../actions";

/** The three decisions on a held post: approve, reject with a reason, or allow its sender from now on (and approve). */
export function ModerationButtons({ postId }: { postId: string }) {
  const { t } = useI18n();
  const words = t.groups.moderation;
  const [done, setDone] = useState<string | null>(null);
  if (done) return <StatusMessage ok testId="moderation-done">{done}</StatusMessage>;
  return (
    <div className="flex min-w-72 flex-wrap items-start gap-2 whitespace-normal">
      <ActionForm action={approvePost} submitLabel={words.approve} onDone={() => setDone(words.approved)} testId="moderation-approve" className="[&>div]:mt-0">
        <input type="hidden" name="postId" value={postId} />
      </ActionForm>
      <ActionForm action={allowPoster} submitLabel={words.allow} variant="secondary" onDone={() => setDone(words.allowed)} testId="moderation-allow" className="[&>div]:mt-0">
        <input type="hidden" name="postId" value={postId} />
      </ActionForm>
      <ActionForm action={rejectPost} submitLabel={words.reject} variant="danger" onDone={() => setDone(words.rejected)} testId="moderation-reject" className="flex items-end gap-2 [&>div]:mt-0">
        {(errors) => (
          <>
            <input type="hidden" name="postId" value={postId} />
            <Field label={words.rejectReason} error={errors.reason}>
              <Input name="reason" maxLength={500} className="w-48" data-testid="moderation-reason" />
            </Field>
          </>
        )}
      </ActionForm>
    </div>
  );
}
