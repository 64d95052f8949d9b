"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { ActionForm, wordRefusal } from "@/components/forms/action-form";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/field";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { changeContactTags } from "./actions";

/** A contact's tags as chips, each with × to take it off, and a field to add more (with manage). */
export function ContactTags({ contact, manage }: { contact: { id: number; email: string; tags: string[] }; manage: { poolId: string } | null }) {
  const { t } = useI18n();
  return (
    <div className="flex max-w-xs flex-wrap items-center gap-1" data-testid={`contact-tags-${contact.email}`}>
      {contact.tags.map((name) => (
        <span key={name} className="inline-flex items-center gap-0.5 rounded-full bg-indigo-50 px-2 py-0.5 text-xs text-indigo-800 ring-1 ring-inset ring-indigo-200">
          {name}
          {manage ? <RemoveTag poolId={manage.poolId} contact={contact} name={name} /> : null}
        </span>
      ))}
      {manage ? (
        <ActionForm action={changeContactTags} submitLabel={t.tags.add} variant="secondary" className="flex items-center gap-1 [&>div]:mt-0" testId="contact-tag-add">
          <input type="hidden" name="poolId" value={manage.poolId} />
          <input type="hidden" name="ids" value={contact.id} />
          <Input name="add" required placeholder={t.tags.placeholder} aria-label={format(t.tags.addLabel, { email: contact.email })} className="w-28" />
        </ActionForm>
      ) : null}
    </div>
  );
}

/** The × of a chip: takes that one tag off that one contact. */
function RemoveTag({ poolId, contact, name }: { poolId: string; contact: { id: number; email: string }; name: string }) {
  const { t } = useI18n();
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const remove = () =>
    startTransition(async () => {
      const data = new FormData();
      data.set("poolId", poolId);
      data.set("ids", String(contact.id));
      data.set("remove", name);
      const result = await changeContactTags(data);
      if (result.ok) router.refresh();
      else setError(wordRefusal(t, result.error).message);
    });
  return (
    <>
      <button type="button" onClick={remove} disabled={pending} aria-label={format(t.tags.remove, { name, email: contact.email })} className="rounded-full px-1 text-indigo-700 hover:bg-indigo-100">
        ×
      </button>
      {error ? (
        <span className="text-red-600" role="alert">
          {error}
        </span>
      ) : null}
    </>
  );
}

/**
 * Add or remove tags on the bulk form's rows (the ticked ones, or every row the search matches):
 * reads that form's fields when a button is pressed, so it follows the scope chosen there.
 */
export function BulkTagControls({ formId, matchingCount }: { formId: string; matchingCount: number | null }) {
  const { t } = useI18n();
  const router = useRouter();
  const [names, setNames] = useState("");
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);

  const run = (kind: "add" | "remove") => {
    const data = new FormData(document.getElementById(formId) as HTMLFormElement);
    const count = data.get("all") && matchingCount !== null ? matchingCount : data.getAll("ids").length;
    if (names.trim() === "") return setMessage({ error: true, text: t.tags.nameRequired });
    if (count === 0) return setMessage({ error: true, text: t.server.messages.nothingSelected });
    if (!window.confirm(format(kind === "add" ? t.tags.bulkAddConfirm : t.tags.bulkRemoveConfirm, { tags: names.trim(), count: count.toLocaleString() }))) return;
    data.set(kind, names);
    startTransition(async () => {
      const result = await changeContactTags(data);
      if (result.ok) {
        const done = result.data as { contacts: number; added: number; removed: number };
        setMessage({ error: false, text: format(t.tags.changed, { contacts: done.contacts.toLocaleString(), added: done.added.toLocaleString(), removed: done.removed.toLocaleString() }) });
        router.refresh();
      } else setMessage({ error: true, text: wordRefusal(t, result.error).message });
    });
  };

  return (
    <div className="flex w-full flex-wrap items-center gap-2 border-t border-slate-100 pt-2" data-testid="bulk-tags">
      <Input value={names} onChange={(event) => setNames(event.target.value)} placeholder={t.tags.placeholder} aria-label={t.tags.bulkLabel} className="w-56" data-testid="bulk-tag-names" />
      <Button variant="secondary" disabled={pending} onClick={() => run("add")} data-testid="bulk-tag-add">
        {pending ? t.common.working : t.tags.bulkAdd}
      </Button>
      <Button variant="secondary" disabled={pending} onClick={() => run("remove")} data-testid="bulk-tag-remove">
        {pending ? t.common.working : t.tags.bulkRemove}
      </Button>
      {message ? (
        <span className={message.error ? "text-red-600" : "text-slate-700"} role={message.error ? "alert" : "status"} data-testid="bulk-tag-message">
          {message.text}
        </span>
      ) : null}
    </div>
  );
}
