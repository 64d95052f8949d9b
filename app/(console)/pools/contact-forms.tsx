"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { ActionForm, wordRefusal } from "@/components/forms/action-form";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTE_VALUE, MAX_NAME } from "@/lib/pools/contact-limits";
import { addContact, deleteContacts, resubscribeContact, unsubscribeContacts, updateContact } from "./actions";
import { BulkTagControls } from "./tag-forms";

const inline = "inline-block [&>div]:mt-0";

/** Attribute rows (name, value) that post as attributeKey / attributeValue pairs; names may be Chinese. */
function AttributeRows({ initial, error }: { initial: Record<string, string>; error?: string }) {
  const { t } = useI18n();
  const start = Object.entries(initial).map(([key, value]) => ({ key, value }));
  const [rows, setRows] = useState(start.length > 0 ? start : [{ key: "", value: "" }]);
  const [serial, setSerial] = useState(rows.length);
  const [keys, setKeys] = useState(() => rows.map((_, index) => index));
  return (
    <fieldset className="space-y-2" data-testid="contact-attributes">
      <legend className="text-xs font-medium text-slate-700">{t.contacts.attributes}</legend>
      {rows.map((row, index) => (
        <div key={keys[index]} className="flex flex-wrap items-center gap-2">
          <Input name="attributeKey" defaultValue={row.key} maxLength={MAX_ATTRIBUTE_KEY} aria-label={t.contacts.attributeKey} placeholder={t.contacts.attributeKey} className="w-40" />
          <Input name="attributeValue" defaultValue={row.value} maxLength={MAX_ATTRIBUTE_VALUE} aria-label={t.contacts.attributeValue} placeholder={t.contacts.attributeValue} className="w-56" />
          <Button
            variant="ghost"
            aria-label={t.contacts.removeAttribute}
            onClick={() => {
              setRows(rows.filter((_, other) => other !== index));
              setKeys(keys.filter((_, other) => other !== index));
            }}
          >
            ×
          </Button>
        </div>
      ))}
      <Button
        variant="secondary"
        data-testid="add-attribute"
        onClick={() => {
          setRows([...rows, { key: "", value: "" }]);
          setKeys([...keys, serial]);
          setSerial(serial + 1);
        }}
      >
        {t.contacts.addAttribute}
      </Button>
      {error ? (
        <span className="block text-xs text-red-600" role="alert">
          {error}
        </span>
      ) : null}
    </fieldset>
  );
}

const CONSENT_CHANNELS = ["sms", "whatsapp", "wecom"] as const;
type ChannelValues = { phone: string | null; wecomUserId: string | null; channelConsent: readonly string[] };

/** Phone, WeCom id and consent boxes; `channelFields` tells the server the form had them (so unticked means no consent). */
function ChannelFields({ initial, phoneRegion, errors }: { initial: ChannelValues; phoneRegion: string; errors: Record<string, string | undefined> }) {
  const { t } = useI18n();
  return (
    <div className="grid gap-3 md:grid-cols-3" data-testid="contact-channels">
      <input type="hidden" name="channelFields" value="on" />
      <Field label={t.channels.phone} hint={format(t.channels.phoneHint, { region: phoneRegion })} error={errors.phone}>
        <Input name="phone" type="tel" defaultValue={initial.phone ?? ""} maxLength={64} autoComplete="off" data-testid="contact-phone" />
      </Field>
      <Field label={t.channels.wecomUserId} error={errors.wecomUserId}>
        <Input name="wecomUserId" defaultValue={initial.wecomUserId ?? ""} maxLength={64} autoComplete="off" data-testid="contact-wecom" />
      </Field>
      <fieldset className="space-y-1">
        <legend className="text-xs font-medium text-slate-700" title={t.channels.consentHint}>
          {t.channels.consent}
        </legend>
        {CONSENT_CHANNELS.map((channel) => (
          <label key={channel} className="mr-4 inline-flex items-center gap-2 text-sm">
            <input type="checkbox" name="channelConsent" value={channel} defaultChecked={initial.channelConsent.includes(channel)} data-testid={`contact-consent-${channel}`} />
            {t.channels.names[channel]}
          </label>
        ))}
        {errors.channelConsent ? (
          <span className="block text-xs text-red-600" role="alert">
            {errors.channelConsent}
          </span>
        ) : null}
      </fieldset>
    </div>
  );
}

type Added = { email: string; existing: boolean; suppressed: "unsubscribed" | "hard_bounce" | "complaint" | "manual" | null };

export function AddContactForm({ poolId, phoneRegion }: { poolId: string; phoneRegion: string }) {
  const { t } = useI18n();
  const [done, setDone] = useState<string[]>([]);
  const [round, setRound] = useState(0);
  return (
    <div className="space-y-2">
      <ActionForm
        action={addContact}
        submitLabel={t.contacts.add}
        testId="contact-add-form"
        onDone={(data) => {
          const added = data as Added;
          const lines = [format(t.contacts.added, { email: added.email })];
          if (added.existing) lines.push(format(t.contacts.addedExisting, { email: added.email }));
          if (added.suppressed) lines.push(format(t.contacts.addedSuppressed, { email: added.email, reason: t.suppressions.reasons[added.suppressed] }));
          setDone(lines);
          setRound(round + 1);
        }}
      >
        {(errors) => (
          <div className="space-y-3">
            <input type="hidden" name="poolId" value={poolId} />
            <div className="grid gap-3 md:grid-cols-2">
              <Field label={t.contacts.email} error={errors.email}>
                <Input name="email" required maxLength={320} autoComplete="off" data-testid="contact-email" />
              </Field>
              <Field label={t.contacts.name} error={errors.name}>
                <Input name="name" maxLength={MAX_NAME} data-testid="contact-name" />
              </Field>
            </div>
            <ChannelFields key={`channels-${round}`} initial={{ phone: null, wecomUserId: null, channelConsent: [] }} phoneRegion={phoneRegion} errors={errors} />
            <AttributeRows key={round} initial={{}} error={errors.attributes} />
          </div>
        )}
      </ActionForm>
      {done.length > 0 ? (
        <div className="text-sm text-slate-700" role="status" data-testid="contact-added">
          {done.map((line) => (
            <p key={line}>{line}</p>
          ))}
        </div>
      ) : null}
    </div>
  );
}

type ContactRow = { id: number; email: string; name: string; attributes: Record<string, string>; status: string } & ChannelValues;

/** A row's own actions: edit (name and attributes), unsubscribe or resubscribe, delete; each asks first where it cannot be undone. */
export function ContactRowActions({ poolId, phoneRegion, contact }: { poolId: string; phoneRegion: string; contact: ContactRow }) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const hidden = (
    <>
      <input type="hidden" name="poolId" value={poolId} />
      <input type="hidden" name="id" value={contact.id} />
    </>
  );
  return (
    <div className="space-y-2 whitespace-normal" data-testid={`contact-actions-${contact.email}`}>
      <div className="flex flex-wrap items-center gap-1.5">
        <Button variant="secondary" onClick={() => setEditing(!editing)} aria-expanded={editing} data-testid="contact-edit">
          {t.contacts.edit}
        </Button>
        {contact.status === "unsubscribed" ? (
          <ActionForm action={resubscribeContact} submitLabel={t.contacts.resubscribe} variant="secondary" className={inline} confirmText={format(t.contacts.resubscribeConfirm, { email: contact.email })}>
            {hidden}
          </ActionForm>
        ) : contact.status === "active" || contact.status === "pending" ? (
          <ActionForm action={unsubscribeContacts} submitLabel={t.contacts.unsubscribe} variant="secondary" className={inline} confirmText={format(t.contacts.unsubscribeConfirm, { email: contact.email })}>
            <input type="hidden" name="poolId" value={poolId} />
            <input type="hidden" name="ids" value={contact.id} />
          </ActionForm>
        ) : null}
        <ActionForm action={deleteContacts} submitLabel={t.contacts.delete} variant="danger" className={inline} testId="contact-delete" confirmText={format(t.contacts.deleteConfirm, { email: contact.email })}>
          <input type="hidden" name="poolId" value={poolId} />
          <input type="hidden" name="ids" value={contact.id} />
        </ActionForm>
      </div>
      {editing ? (
        <ActionForm action={updateContact} submitLabel={t.common.save} resetOnSuccess={false} onDone={() => setEditing(false)} testId="contact-edit-form">
          {(errors) => (
            <div className="space-y-3">
              {hidden}
              <Field label={t.contacts.name} error={errors.name}>
                <Input name="name" defaultValue={contact.name} maxLength={MAX_NAME} className="w-64 max-w-full" />
              </Field>
              <ChannelFields initial={contact} phoneRegion={phoneRegion} errors={errors} />
              <AttributeRows initial={contact.attributes} error={errors.attributes} />
            </div>
          )}
        </ActionForm>
      ) : null}
    </div>
  );
}

/** Ticks or clears every row checkbox of the bulk form. */
function SelectPage({ formId }: { formId: string }) {
  return (
    <input
      type="checkbox"
      data-testid="select-page"
      onChange={(event) => {
        for (const box of document.querySelectorAll<HTMLInputElement>(`input[form="${formId}"][name="ids"]`)) box.checked = event.currentTarget.checked;
      }}
    />
  );
}

/**
 * Delete or unsubscribe the ticked rows (their checkboxes belong to this form by its id), or every
 * row the current search matches: the count the page showed is confirmed and sent along, and the
 * server refuses when the search no longer matches that many.
 */
export function BulkContactActions({ poolId, formId, matching }: { poolId: string; formId: string; matching: { count: number; q: string; status: string; tag: string } | null }) {
  const { t } = useI18n();
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [scope, setScope] = useState<"ids" | "all">("ids");
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);

  const run = (kind: "delete" | "unsubscribe") => {
    const form = document.getElementById(formId) as HTMLFormElement;
    const data = new FormData(form);
    const count = scope === "all" && matching ? matching.count : data.getAll("ids").length;
    if (count === 0) {
      setMessage({ error: true, text: t.server.messages.nothingSelected });
      return;
    }
    if (!window.confirm(format(kind === "delete" ? t.contacts.bulkDeleteConfirm : t.contacts.bulkUnsubscribeConfirm, { count: count.toLocaleString() }))) return;
    startTransition(async () => {
      const action = kind === "delete" ? deleteContacts : unsubscribeContacts;
      const result = await action(data);
      if (result.ok) {
        const done = result.data as { removed?: number; unsubscribed?: number };
        setMessage({ error: false, text: format(kind === "delete" ? t.contacts.deleted : t.contacts.unsubscribed, { count: (done.removed ?? done.unsubscribed ?? 0).toLocaleString() }) });
        router.refresh();
      } else setMessage({ error: true, text: wordRefusal(t, result.error).message });
    });
  };

  return (
    <form id={formId} className="flex flex-wrap items-center gap-3 rounded-lg bg-white px-3 py-2 text-sm ring-1 ring-slate-200" data-testid="bulk-contacts" onSubmit={(event) => event.preventDefault()}>
      <input type="hidden" name="poolId" value={poolId} />
      <span className="font-medium text-slate-700">{t.contacts.bulkTitle}</span>
      <label className="flex items-center gap-1.5">
        <SelectPage formId={formId} />
        {t.contacts.selectPage}
      </label>
      <label className="flex items-center gap-1.5">
        <input type="radio" name="scope" checked={scope === "ids"} onChange={() => setScope("ids")} />
        {t.contacts.selected}
      </label>
      {matching ? (
        <label className="flex items-center gap-1.5">
          <input type="radio" name="scope" checked={scope === "all"} onChange={() => setScope("all")} data-testid="bulk-all-matching" />
          {format(t.contacts.allMatching, { count: matching.count.toLocaleString() })}
        </label>
      ) : null}
      {scope === "all" && matching ? (
        <>
          <input type="hidden" name="all" value="on" />
          <input type="hidden" name="q" value={matching.q} />
          <input type="hidden" name="status" value={matching.status} />
          <input type="hidden" name="tag" value={matching.tag} />
          <input type="hidden" name="expected" value={matching.count} />
        </>
      ) : null}
      <Button variant="secondary" disabled={pending} onClick={() => run("unsubscribe")} data-testid="bulk-unsubscribe">
        {pending ? t.common.working : t.contacts.unsubscribe}
      </Button>
      <Button variant="danger" disabled={pending} onClick={() => run("delete")} data-testid="bulk-delete">
        {pending ? t.common.working : t.contacts.delete}
      </Button>
      {message ? (
        <span className={message.error ? "text-red-600" : "text-slate-700"} role={message.error ? "alert" : "status"} data-testid="bulk-message">
          {message.text}
        </span>
      ) : null}
      <BulkTagControls formId={formId} matchingCount={scope === "all" && matching ? matching.count : null} />
    </form>
  );
}
