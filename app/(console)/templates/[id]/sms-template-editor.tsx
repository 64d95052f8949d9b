"use client";

import { Field } from "@/components/ui/field";
import { appendOptOutSuffix, smsSegments } from "@/lib/channels/sms-segments";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { ChannelTemplateFrame, useChannelTemplateDraft } from "./template-editor-parts";

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
  const editor = useChannelTemplateDraft(template, initialDepartment, (draft, departmentId) => ({
    id: draft.id ?? undefined,
    departmentId: departmentId ?? undefined,
    channel: "sms",
    name: draft.name,
    subject: "",
    html: "",
    text: draft.text,
  }));
  const { draft, setDraft } = editor;

  const sent = optOutSuffix && draft.text.trim() ? appendOptOutSuffix(draft.text.trim(), optOutSuffix) : draft.text.trim();
  const count = smsSegments(sent);

  return (
    <ChannelTemplateFrame testId="sms-template-editor" departments={departments} editor={editor}>
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
    </ChannelTemplateFrame>
  );
}
