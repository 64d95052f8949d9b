"use client";

import { useState, useTransition } from "react";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { useI18n } from "@/lib/i18n/client";
import { TemplateDepartmentField, TemplateSaveRow, useTemplateSaver, type EditorMessage } from "./template-editor-parts";

type Draft = { id: string | null; name: string; approvedName: string; language: string; variables: string[]; text: string };

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
  const [draft, setDraft] = useState(template);
  const [departmentId, setDepartmentId] = useState(initialDepartment);
  const [message, setMessage] = useState<EditorMessage>(null);
  const [pending, startTransition] = useTransition();

  const saveDraft = useTemplateSaver(draft.id, setMessage);
  const save = () => startTransition(() => saveDraft(saveInput(draft, departmentId)));
  const setVariable = (index: number, value: string) => setDraft({ ...draft, variables: draft.variables.map((variable, at) => (at === index ? value : variable)) });

  return (
    <div className="max-w-2xl space-y-3 rounded-lg bg-white p-4 ring-1 ring-slate-200" data-testid="whatsapp-template-editor">
      <TemplateDepartmentField departments={departments} departmentId={departmentId} saved={Boolean(draft.id)} onChange={setDepartmentId} />
      <Field label={t.templates.name}>
        <Input value={draft.name} onChange={(event) => setDraft({ ...draft, name: event.target.value })} data-testid="template-name" />
      </Field>
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
      <Field label={w.freeText} hint={w.freeTextHint}>
        <textarea rows={4} value={draft.text} onChange={(event) => setDraft({ ...draft, text: event.target.value })} className="block w-full rounded-md p-2 text-sm ring-1 ring-inset ring-slate-300" data-testid="whatsapp-text" />
      </Field>
      <TemplateSaveRow pending={pending} onSave={save} message={message} />
    </div>
  );
}
