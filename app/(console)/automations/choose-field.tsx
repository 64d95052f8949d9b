import { Field, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";

/** A required choice of one row (a pool, a tag, a task, a template) by its name, under its label and beside its refusal. */
export function ChooseField({
  label,
  placeholder,
  value,
  rows,
  error,
  onChange,
  testId,
}: {
  label: string;
  placeholder: string;
  value: string;
  rows: { id: string; name: string }[];
  error?: string;
  onChange: (id: string) => void;
  testId: string;
}) {
  return (
    <Field label={label} error={error}>
      <Select value={value} onChange={(event) => onChange(event.target.value)} required data-testid={testId}>
        <option value="">{placeholder}</option>
        <Options choices={rows.map((row) => ({ value: row.id, label: row.name }))} />
      </Select>
    </Field>
  );
}
