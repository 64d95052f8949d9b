"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition, type ReactNode } from "react";
import { wordRefusal } from "@/components/forms/action-form";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { StatusMessage } from "@/components/ui/status-message";
import { Options } from "@/components/ui/options";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { saveTemplate } from "../actions";

/** What the mail, SMS and WhatsApp template editors share: saving a draft and choosing a new template's department. */

export type EditorMessage = { ok: boolean; text: string } | null;

/** Saves a draft and says so; a new template's page becomes the saved template's. */
export function useTemplateSaver(draftId: string | null, setMessage: (message: EditorMessage) => void) {
  const { t } = useI18n();
  const router = useRouter();
  return async (input: Parameters<typeof saveTemplate>[0]) => {
    const result = await saveTemplate(input);
    if (!result.ok) return setMessage({ ok: false, text: wordRefusal(t, result.error).message });
    const saved = result.data as { id: string; version: number };
    setMessage({ ok: true, text: format(t.templates.saved, { version: saved.version }) });
    if (!draftId) router.push(`/templates/${saved.id}`);
    else router.refresh();
  };
}

/** A company-wide caller picks the department of a template it creates; a saved template keeps its own. */
export function TemplateDepartmentField({
  departments,
  departmentId,
  saved,
  onChange,
}: {
  departments: { id: string; name: string }[];
  departmentId: string | null;
  saved: boolean;
  onChange: (departmentId: string) => void;
}) {
  const { t } = useI18n();
  if (departments.length === 0 || saved) return null;
  return (
    <Field label={t.common.department}>
      <Select value={departmentId ?? ""} onChange={(event) => onChange(event.target.value)} data-testid="template-department">
        <Options choices={departments.map((department) => ({ value: department.id, label: department.name }))} />
      </Select>
    </Field>
  );
}

type SaveInput = Parameters<typeof saveTemplate>[0];

/**
 * What the SMS and WhatsApp editors hold: the draft, a new template's department, what the last
 * save said, and `save`, which saves the draft as `inputOf` words it for its channel.
 */
export function useChannelTemplateDraft<D extends { id: string | null; name: string }>(
  template: D,
  initialDepartment: string | null,
  inputOf: (draft: D, departmentId: string | null) => SaveInput,
) {
  const [draft, setDraft] = useState(template);
  const [departmentId, setDepartmentId] = useState(initialDepartment);
  const [message, setMessage] = useState<EditorMessage>(null);
  const [pending, startTransition] = useTransition();
  const saveDraft = useTemplateSaver(draft.id, setMessage);
  const save = () => startTransition(() => saveDraft(inputOf(draft, departmentId)));
  const setName = (name: string) => setDraft((current) => ({ ...current, name }));
  return { draft, setDraft, setName, departmentId, setDepartmentId, message, pending, save };
}

/** What the frame reads of an editor's state (useChannelTemplateDraft's answer, whatever its draft). */
type ChannelEditorState = {
  draft: { id: string | null; name: string };
  setName: (name: string) => void;
  departmentId: string | null;
  setDepartmentId: (departmentId: string) => void;
  message: EditorMessage;
  pending: boolean;
  save: () => void;
};

/** The SMS and WhatsApp editors' frame: the department and the name above the channel's own fields, the save button below. */
export function ChannelTemplateFrame({
  testId,
  departments,
  editor,
  children,
}: {
  testId: string;
  departments: { id: string; name: string }[];
  editor: ChannelEditorState;
  children: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <div className="max-w-2xl space-y-3 rounded-lg bg-white p-4 ring-1 ring-slate-200" data-testid={testId}>
      <TemplateDepartmentField departments={departments} departmentId={editor.departmentId} saved={Boolean(editor.draft.id)} onChange={editor.setDepartmentId} />
      <Field label={t.templates.name}>
        <Input value={editor.draft.name} onChange={(event) => editor.setName(event.target.value)} data-testid="template-name" />
      </Field>
      {children}
      <TemplateSaveRow pending={editor.pending} onSave={editor.save} message={editor.message} />
    </div>
  );
}

/** The SMS and WhatsApp editors' save button, with what the last save said. */
function TemplateSaveRow({ pending, onSave, message }: { pending: boolean; onSave: () => void; message: EditorMessage }) {
  const { t } = useI18n();
  return (
    <div className="flex items-center gap-3">
      <Button onClick={onSave} disabled={pending} data-testid="template-save">
        {pending ? t.common.working : t.templates.save}
      </Button>
      <StatusMessage ok={message?.ok} testId="template-message">
        {message?.text}
      </StatusMessage>
    </div>
  );
}
