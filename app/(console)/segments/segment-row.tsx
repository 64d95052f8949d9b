"use client";

import { ActionForm } from "@/components/forms/action-form";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { deleteSegment } from "./actions";

export function DeleteSegmentButton({ id, name }: { id: string; name: string }) {
  const { t } = useI18n();
  return (
    <ActionForm action={deleteSegment} submitLabel={t.segments.delete} variant="danger" className="inline-block [&>div]:mt-0" testId={`delete-segment-${name}`} confirmText={format(t.segments.deleteConfirm, { name })}>
      <input type="hidden" name="id" value={id} />
    </ActionForm>
  );
}
