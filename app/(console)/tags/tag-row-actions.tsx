"use client";

import { useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/field";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { MAX_TAG_NAME } from "@/lib/pools/tag-names";
import { deleteTag, renameTag } from "./actions";

const inline = "inline-block [&>div]:mt-0";

/** Rename (inline, its current name filled in) and delete (asking first, with the contacts it comes off). */
export function TagRowActions({ tag }: { tag: { id: string; name: string; contacts: number } }) {
  const { t } = useI18n();
  const [renaming, setRenaming] = useState(false);
  return (
    <div className="flex flex-wrap items-center gap-1.5 whitespace-normal" data-testid={`tag-actions-${tag.name}`}>
      <Button variant="secondary" onClick={() => setRenaming(!renaming)} aria-expanded={renaming} data-testid="tag-rename">
        {t.tags.rename}
      </Button>
      <ActionForm
        action={deleteTag}
        submitLabel={t.tags.delete}
        variant="danger"
        className={inline}
        testId="tag-delete"
        confirmText={format(t.tags.deleteConfirm, { name: tag.name, count: tag.contacts.toLocaleString() })}
      >
        <input type="hidden" name="id" value={tag.id} />
      </ActionForm>
      {renaming ? (
        <ActionForm action={renameTag} submitLabel={t.common.save} resetOnSuccess={false} onDone={() => setRenaming(false)} testId="tag-rename-form" className="w-full">
          <input type="hidden" name="id" value={tag.id} />
          <Input name="name" defaultValue={tag.name} maxLength={MAX_TAG_NAME} required aria-label={format(t.tags.newName, { name: tag.name })} className="w-full max-w-xs" />
        </ActionForm>
      ) : null}
    </div>
  );
}
