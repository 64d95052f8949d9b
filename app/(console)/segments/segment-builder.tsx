"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, useTransition } from "react";
import { wordRefusal, type FormRefusal } from "@/components/forms/action-form";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Field, Input, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import { StatusMessage } from "@/components/ui/status-message";
import { useI18n } from "@/lib/i18n/client";
import type { Rule } from "@/lib/audiences/segments/rule";
import { createSegment, previewSegment, updateSegment } from "./actions";
import { ConditionRow, type Choice, type ConditionChoices } from "./condition-row";
import { SamplePreview, type Preview } from "./sample-preview";
import { fromRule, isGroupDraft, newGroup, newLeaf, toRule, type ConditionDraft, type LeafDraft, type RuleDraft } from "./rule-draft";

type WithDepartment = Choice & { departmentId: string };
export type BuilderOptions = { departments: Choice[] | null; pools: WithDepartment[]; tags: WithDepartment[]; tasks: WithDepartment[]; statuses: string[] };
export type SavedSegment = { id: string; departmentId: string; name: string; description: string; rule: Rule };

const DEBOUNCE_MS = 400;

/** The segment builder: name, rule (all/any, conditions, one level of groups), and the live count and sample of the rule as it stands. */
export function SegmentBuilder({ segment, options }: { segment: SavedSegment | null; options: BuilderOptions }) {
  const { t } = useI18n();
  const words = t.segments;
  const router = useRouter();
  const [departmentId, setDepartmentId] = useState(segment?.departmentId ?? options.departments?.[0]?.id ?? "");
  const [name, setName] = useState(segment?.name ?? "");
  const [description, setDescription] = useState(segment?.description ?? "");
  const [draft, setDraft] = useState<RuleDraft>(() => (segment ? fromRule(segment.rule) : { match: "all", conditions: [newLeaf()] }));
  const [answer, setAnswer] = useState<{ for: string; preview: Preview } | null>(null);
  const [error, setError] = useState<{ message: string; fieldErrors: Record<string, string> } | null>(null);
  const [saving, startSaving] = useTransition();

  const inDepartment = <T extends WithDepartment>(list: T[]) => (options.departments ? list.filter((item) => item.departmentId === departmentId) : list);
  const choices: ConditionChoices = { pools: inDepartment(options.pools), tags: inDepartment(options.tags), tasks: inDepartment(options.tasks), statuses: options.statuses };
  const departmentField = options.departments ? departmentId || null : null;

  // The live count: the rule as it stands, a moment after the last change; until its answer comes (an
  // answer to an older rule never shows), "counting".
  const asked = JSON.stringify({ departmentField, rule: toRule(draft) });
  const latest = useRef("");
  useEffect(() => {
    latest.current = asked;
    const timer = setTimeout(async () => {
      const { departmentField: department, rule } = JSON.parse(asked) as { departmentField: string | null; rule: Rule };
      const result = await previewSegment({ departmentId: department, rule });
      if (latest.current !== asked) return;
      setAnswer({ for: asked, preview: result.ok ? { state: "counted", ...result.data } : { state: "incomplete" } });
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [asked]);
  const preview: Preview = answer?.for === asked ? answer.preview : { state: "counting" };

  const setCondition = (index: number, condition: ConditionDraft) => setDraft({ ...draft, conditions: draft.conditions.map((one, at) => (at === index ? condition : one)) });
  const removeCondition = (index: number) => setDraft({ ...draft, conditions: draft.conditions.filter((_, at) => at !== index) });
  const hasGroup = draft.conditions.some(isGroupDraft);

  const save = () =>
    startSaving(async () => {
      const input = { name, description, rule: toRule(draft) };
      const result = segment ? await updateSegment({ id: segment.id, ...input }) : await createSegment({ ...input, departmentId: departmentField });
      if (!result.ok) return setError(wordRefusal(t, result.error as FormRefusal));
      router.push("/segments");
      router.refresh();
    });

  return (
    <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_20rem]">
      <div className="min-w-0 space-y-4">
        <Card>
          <div className="grid gap-3 md:grid-cols-3">
            {options.departments && !segment ? (
              <Field label={t.common.department}>
                <Select value={departmentId} onChange={(event) => setDepartmentId(event.target.value)} data-testid="segment-department">
                  <Options choices={options.departments.map((department) => ({ value: department.id, label: department.name }))} />
                </Select>
              </Field>
            ) : null}
            <Field label={words.name} error={error?.fieldErrors.name}>
              <Input value={name} onChange={(event) => setName(event.target.value)} maxLength={200} required data-testid="segment-name" />
            </Field>
            <Field label={words.description} error={error?.fieldErrors.description}>
              <Input value={description} onChange={(event) => setDescription(event.target.value)} maxLength={1000} />
            </Field>
          </div>
        </Card>
        <Card>
          <div className="space-y-3" data-testid="segment-rule">
            <Field label={words.match}>
              <Select value={draft.match} onChange={(event) => setDraft({ ...draft, match: event.target.value as "all" | "any" })} className="w-full sm:w-72" data-testid="segment-match">
                <Options choices={[{ value: "all", label: words.matchAll }, { value: "any", label: words.matchAny }]} />
              </Select>
            </Field>
            {draft.conditions.map((condition, index) =>
              isGroupDraft(condition) ? (
                <div key={condition.key} className="space-y-2 rounded-md p-2 ring-1 ring-slate-200" data-testid="segment-group">
                  <div className="flex flex-wrap items-center gap-2">
                    <Select aria-label={words.match} value={condition.match} onChange={(event) => setCondition(index, { ...condition, match: event.target.value as "all" | "any" })} className="w-40">
                      <Options choices={[{ value: "all", label: words.groupAll }, { value: "any", label: words.groupAny }]} />
                    </Select>
                    <Button variant="ghost" onClick={() => removeCondition(index)}>
                      {words.remove}
                    </Button>
                  </div>
                  {condition.leaves.map((leaf, leafIndex) => (
                    <ConditionRow
                      key={leaf.key}
                      draft={leaf}
                      choices={choices}
                      onChange={(changed: LeafDraft) => setCondition(index, { ...condition, leaves: condition.leaves.map((one, at) => (at === leafIndex ? changed : one)) })}
                      onRemove={() => setCondition(index, { ...condition, leaves: condition.leaves.filter((_, at) => at !== leafIndex) })}
                    />
                  ))}
                  <Button variant="secondary" onClick={() => setCondition(index, { ...condition, leaves: [...condition.leaves, newLeaf()] })}>
                    {words.addCondition}
                  </Button>
                </div>
              ) : (
                <ConditionRow key={condition.key} draft={condition} choices={choices} onChange={(changed) => setCondition(index, changed)} onRemove={() => removeCondition(index)} />
              ),
            )}
            <div className="flex flex-wrap gap-2">
              <Button variant="secondary" onClick={() => setDraft({ ...draft, conditions: [...draft.conditions, newLeaf()] })} data-testid="segment-add-condition">
                {words.addCondition}
              </Button>
              {hasGroup ? null : (
                <Button variant="secondary" onClick={() => setDraft({ ...draft, conditions: [...draft.conditions, newGroup()] })} data-testid="segment-add-group">
                  {words.addGroup}
                </Button>
              )}
            </div>
            <StatusMessage>{error?.fieldErrors.rule ? `${t.server.fields.rule}: ${error.fieldErrors.rule}` : null}</StatusMessage>
          </div>
        </Card>
        <div className="flex flex-wrap items-center gap-3">
          <Button onClick={save} disabled={saving} data-testid="segment-save">
            {words.save}
          </Button>
          <StatusMessage>{error && !error.fieldErrors.rule && !error.fieldErrors.name ? error.message : null}</StatusMessage>
        </div>
      </div>
      <SamplePreview preview={preview} />
    </div>
  );
}

