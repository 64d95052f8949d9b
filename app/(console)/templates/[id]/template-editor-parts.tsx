"use client";

import { useRouter } from "next/navigation";
import { wordRefusal } from "@/components/forms/action-form";
import { Button } from "@/components/ui/button";
import { Field, Select } from "@/components/ui/field";
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

/** The SMS and WhatsApp editors' save button, with what the last save said. */
export function TemplateSaveRow({ pending, onSave, message }: { pending: boolean; onSave: () => void; message: EditorMessage }) {
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
