"use client";

import { useState, useTransition } from "react";
import { Field, Input } from "@/components/ui/field";
import { appendOptOutSuffix, smsSegments } from "@/lib/channels/sms-segments";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { TemplateDepartmentField, TemplateSaveRow, useTemplateSaver, type EditorMessage } from "./template-editor-parts";

type Draft = { id: string | null; name: string; text: string };

/**
 * An SMS template: its text alone (Liquid, the same variables as mail), with the characters and
 * segments it costs counted as it is typed, the opt-out sentence included when the company adds it.
 * Variables count as written: the real text is known per contact (the engine counts each one).
 */
export function SmsTemplateEditor({
  template,
  departments,
  departmentId: initialDepartment,
  optOutSuffix,
}: {
  template: Draft;
  departments: { id: string; name: string }[];
  departmentId: string | null;
  /** The opt-out sentence the company appends ("zh" for a Chinese phone region), or null when it is off. */
  optOutSuffix: "zh" | "en" | null;
}) {
  const { t } = useI18n();
  const s = t.smsTemplates;
  const [draft, setDraft] = useState(template);
  const [departmentId, setDepartmentId] = useState(initialDepartment);
  const [message, setMessage] = useState<EditorMessage>(null);
  const [pending, startTransition] = useTransition();

  const sent = optOutSuffix && draft.text.trim() ? appendOptOutSuffix(draft.text.trim(), optOutSuffix) : draft.text.trim();
  const count = smsSegments(sent);

  const saveDraft = useTemplateSaver(draft.id, setMessage);
  const save = () => startTransition(() => saveDraft({ id: draft.id ?? undefined, departmentId: departmentId ?? undefined, channel: "sms", name: draft.name, subject: "", html: "", text: draft.text }));

  return (
    <div className="max-w-2xl space-y-3 rounded-lg bg-white p-4 ring-1 ring-slate-200" data-testid="sms-template-editor">
      <TemplateDepartmentField departments={departments} departmentId={departmentId} saved={Boolean(draft.id)} onChange={setDepartmentId} />
      <Field label={t.templates.name}>
        <Input value={draft.name} onChange={(event) => setDraft({ ...draft, name: event.target.value })} data-testid="template-name" />
      </Field>
      <Field label={s.text} hint={s.textHint}>
        <textarea rows={6} value={draft.text} onChange={(event) => setDraft({ ...draft, text: event.target.value })} className="block w-full rounded-md p-2 text-sm ring-1 ring-inset ring-slate-300" data-testid="sms-text" />
      </Field>
      <p className="text-xs text-slate-600" data-testid="sms-count" data-segments={count.segments}>
        {format(s.count, { characters: count.characters, segments: count.segments, perSegment: count.perSegment })} · {count.encoding === "GSM-7" ? s.gsm : s.ucs2}
      </p>
      {optOutSuffix ? (
        <p className="text-xs text-slate-500" data-testid="sms-suffix">
          {format(s.suffixIncluded, { suffix: appendOptOutSuffix("", optOutSuffix).trim() })}
        </p>
      ) : null}
      <TemplateSaveRow pending={pending} onSave={save} message={message} />
    </div>
  );
}
