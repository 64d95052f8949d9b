"use client";

import { useEffect, useState } from "react";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { format } from "@/lib/i18n";
import { describeRefusal, type Refusal } from "@/lib/i18n/describe";
import { useI18n } from "@/lib/i18n/client";
import { ChannelTemplateFrame, useChannelTemplateDraft } from "./template-editor-parts";

type Draft = { id: string | null; name: string; approvedName: string; language: string; variables: string[]; text: string };
/** What /templates/preview answers for a WhatsApp draft: each variable's value for the sample contact, or why the variables cannot be saved. */
type Preview = { whatsapp: string[]; contact: { name: string } } | { whatsapp: null; refusal: Refusal };

/** What saving sends: no subject or HTML; the approved template's fields and the free text. */
function saveInput(draft: Draft, departmentId: string | null) {
  const whatsapp = { name: draft.approvedName, language: draft.language, variables: draft.variables };
  return { id: draft.id ?? undefined, departmentId: departmentId ?? undefined, channel: "whatsapp" as const, name: draft.name, subject: "", html: "", text: draft.text, whatsapp };
}

/**
 * A WhatsApp template: the Meta template it sends (its approved name and language code), what fills
 * each of its variables {{1}}, {{2}} … for a contact, and an optional free text that is used only
 * inside the 24-hour window (a task sends the approved template).
 */
export function WhatsAppTemplateEditor({ template, departments, departmentId: initialDepartment }: { template: Draft; departments: { id: string; name: string }[]; departmentId: string | null }) {
  const { t } = useI18n();
  const w = t.whatsappTemplates;
  const editor = useChannelTemplateDraft(template, initialDepartment, saveInput);
  const { draft, setDraft, departmentId } = editor;
  const [preview, setPreview] = useState<Preview | null>(null);

  useEffect(() => {
    const timer = setTimeout(async () => {
      const response = await fetch("/templates/preview", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ subject: "", html: "", departmentId: departmentId ?? undefined, whatsapp: { variables: draft.variables } }),
      });
      if (response.ok) setPreview((await response.json()) as Preview);
    }, 350);
    return () => clearTimeout(timer);
  }, [draft.variables, departmentId]);

  const setVariable = (index: number, value: string) => setDraft({ ...draft, variables: draft.variables.map((variable, at) => (at === index ? value : variable)) });

  return (
    <ChannelTemplateFrame testId="whatsapp-template-editor" departments={departments} editor={editor}>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label={w.approvedName} hint={w.approvedNameHint}>
          <Input value={draft.approvedName} onChange={(event) => setDraft({ ...draft, approvedName: event.target.value })} data-testid="whatsapp-name" />
        </Field>
        <Field label={w.language} hint={w.languageHint}>
          <Input value={draft.language} onChange={(event) => setDraft({ ...draft, language: event.target.value })} data-testid="whatsapp-language" />
        </Field>
      </div>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">{w.variables}</legend>
        <p className="text-xs text-slate-500">{w.variablesHint}</p>
        {draft.variables.map((variable, index) => (
          <div key={index} className="flex items-center gap-2">
            <span className="w-12 shrink-0 font-mono text-xs text-slate-600">{`{{${index + 1}}}`}</span>
            <Input value={variable} onChange={(event) => setVariable(index, event.target.value)} aria-label={`{{${index + 1}}}`} data-testid={`whatsapp-variable-${index + 1}`} />
            <Button variant="secondary" onClick={() => setDraft({ ...draft, variables: draft.variables.filter((_, at) => at !== index) })} data-testid={`whatsapp-variable-remove-${index + 1}`}>
              {w.removeVariable}
            </Button>
          </div>
        ))}
        {draft.variables.length < 20 ? (
          <Button variant="secondary" onClick={() => setDraft({ ...draft, variables: [...draft.variables, ""] })} data-testid="whatsapp-variable-add">
            {w.addVariable}
          </Button>
        ) : null}
      </fieldset>
      {preview && draft.variables.length > 0 ? (
        <div className="rounded-md bg-slate-50 p-2 text-xs text-slate-700" data-testid="whatsapp-preview">
          {preview.whatsapp === null ? (
            <p className="text-red-600">{describeRefusal(t.server, preview.refusal)}</p>
          ) : (
            <>
              <p className="mb-1 font-medium">{format(w.previewFor, { name: preview.contact.name })}</p>
              <ul className="space-y-0.5">
                {preview.whatsapp.map((value, index) => (
                  <li key={index} className="break-words" data-testid={`whatsapp-preview-${index + 1}`}>
                    <span className="font-mono text-slate-500">{`{{${index + 1}}}`}</span> {value || <span className="text-amber-700">{w.emptyValue}</span>}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      ) : null}
      <Field label={w.freeText} hint={w.freeTextHint}>
        <textarea rows={4} value={draft.text} onChange={(event) => setDraft({ ...draft, text: event.target.value })} className="block w-full rounded-md p-2 text-sm ring-1 ring-inset ring-slate-300" data-testid="whatsapp-text" />
      </Field>
    </ChannelTemplateFrame>
  );
}
