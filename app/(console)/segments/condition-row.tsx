"use client";

import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import { useI18n } from "@/lib/i18n/client";
import { ENGAGEMENT_EVENTS, LEAF_OPERATORS, NUMERIC_OPERATORS, type LeafField } from "@/lib/audiences/segments/vocabulary";
import type { LeafDraft } from "./rule-draft";

export type Choice = { id: string; name: string };
export type ConditionChoices = { pools: Choice[]; tags: Choice[]; tasks: Choice[]; statuses: string[] };

const FIELDS = Object.keys(LEAF_OPERATORS) as LeafField[];

/** One condition of the builder: field, operator and what the operator needs, wrapping onto lines of their own at 390 px. */
export function ConditionRow({ draft, choices, onChange, onRemove }: { draft: LeafDraft; choices: ConditionChoices; onChange: (draft: LeafDraft) => void; onRemove: () => void }) {
  const { t } = useI18n();
  const words = t.segments;
  const set = (change: Partial<LeafDraft>) => onChange({ ...draft, ...change });
  const chooseField = (field: LeafField) => set({ field, op: LEAF_OPERATORS[field][0], value: "" });
  const pick = (label: string, list: Choice[]) => (
    <Select aria-label={label} value={draft.value} onChange={(event) => set({ value: event.target.value })} className="w-full sm:w-48" data-testid="condition-value">
      <option value="">{words.choose}</option>
      <Options choices={list.map((choice) => ({ value: choice.id, label: choice.name }))} />
    </Select>
  );
  const { field, op } = draft;
  let value = null;
  if (field === "pool") value = pick(words.fields.pool, choices.pools);
  else if (field === "tag") value = pick(words.fields.tag, choices.tags);
  else if (field === "status") value = pick(words.fields.status, choices.statuses.map((status) => ({ id: status, name: t.server.terms.status[status as keyof typeof t.server.terms.status] ?? status })));
  else if (field === "attribute" && op !== "present" && op !== "absent") {
    const numeric = (NUMERIC_OPERATORS as readonly string[]).includes(op) || op === "within_days";
    const type = numeric ? "number" : op === "before" || op === "after" ? "date" : "text";
    value = (
      <Input aria-label={words.value} type={type} value={draft.value} onChange={(event) => set({ value: event.target.value })} placeholder={op === "in" ? words.listHint : words.value} className="w-full sm:w-48" data-testid="condition-value" />
    );
  } else if (field === "email" || field === "name") {
    value = <Input aria-label={words.value} value={draft.value} onChange={(event) => set({ value: event.target.value })} className="w-full sm:w-48" data-testid="condition-value" />;
  }
  return (
    <div className="flex flex-wrap items-center gap-2 rounded-md bg-slate-50 p-2" data-testid="segment-condition">
      <Select aria-label={words.fieldLabel} value={field} onChange={(event) => chooseField(event.target.value as LeafField)} className="w-full sm:w-36" data-testid="condition-field">
        <Options choices={FIELDS.map((one) => ({ value: one, label: words.fields[one] }))} />
      </Select>
      {field === "attribute" ? (
        <Input aria-label={words.key} value={draft.name} onChange={(event) => set({ name: event.target.value })} placeholder={words.key} className="w-full sm:w-36" data-testid="condition-key" />
      ) : null}
      <Select aria-label={words.operator} value={op} onChange={(event) => set({ op: event.target.value })} className="w-full sm:w-44" data-testid="condition-op">
        <Options choices={LEAF_OPERATORS[field].map((one) => ({ value: one, label: words.ops[one] }))} />
      </Select>
      {field === "engagement" ? (
        <>
          <Select aria-label={words.event} value={draft.event} onChange={(event) => set({ event: event.target.value })} className="w-full sm:w-40" data-testid="condition-event">
            <Options choices={ENGAGEMENT_EVENTS.map((one) => ({ value: one, label: words.events[one] }))} />
          </Select>
          <Select aria-label={words.scope} value={draft.scope} onChange={(event) => set({ scope: event.target.value as LeafDraft["scope"] })} className="w-full sm:w-44" data-testid="condition-scope">
            <Options choices={(["ever", "task", "days"] as const).map((one) => ({ value: one, label: words.scopes[one] }))} />
          </Select>
          {draft.scope === "task" ? (
            <Select aria-label={words.task} value={draft.taskId} onChange={(event) => set({ taskId: event.target.value })} className="w-full sm:w-48" data-testid="condition-task">
              <option value="">{words.choose}</option>
              <Options choices={choices.tasks.map((task) => ({ value: task.id, label: task.name }))} />
            </Select>
          ) : null}
          {draft.scope === "days" ? (
            <Input aria-label={words.days} type="number" min={1} max={3650} value={draft.days} onChange={(event) => set({ days: event.target.value })} className="w-full sm:w-24" data-testid="condition-days" />
          ) : null}
          {draft.event === "clicked" ? (
            <Input aria-label={words.link} value={draft.url} onChange={(event) => set({ url: event.target.value })} placeholder={words.link} className="w-full sm:w-56" data-testid="condition-url" />
          ) : null}
        </>
      ) : (
        value
      )}
      <Button variant="ghost" onClick={onRemove} aria-label={words.remove} data-testid="condition-remove">
        ✕
      </Button>
    </div>
  );
}
