import type { Condition, Leaf, Rule } from "@/lib/audiences/segments/rule";
import { NUMERIC_OPERATORS, type LeafField } from "@/lib/audiences/segments/vocabulary";

/*
 * The builder edits drafts: every input as the text it shows, whatever the field. toRule turns the
 * drafts into the rule the server checks (rule.ts); fromRule turns a saved rule back into drafts.
 */

export type LeafDraft = { key: string; field: LeafField; op: string; name: string; value: string; event: string; scope: "ever" | "task" | "days"; taskId: string; days: string; url: string };
export type GroupDraft = { key: string; match: "all" | "any"; leaves: LeafDraft[] };
export type ConditionDraft = LeafDraft | GroupDraft;
export type RuleDraft = { match: "all" | "any"; conditions: ConditionDraft[] };

let counter = 0;
const nextKey = () => `c${++counter}`;

/** A new condition starts as an attribute test, the commonest. */
const FIRST_FIELD: LeafField = "attribute";

export function newLeaf(): LeafDraft {
  return { key: nextKey(), field: FIRST_FIELD, op: "equals", name: "", value: "", event: "opened", scope: "ever", taskId: "", days: "30", url: "" };
}

export function newGroup(): GroupDraft {
  return { key: nextKey(), match: "any", leaves: [newLeaf()] };
}

export function isGroupDraft(condition: ConditionDraft): condition is GroupDraft {
  return "leaves" in condition;
}

function leafOf(draft: LeafDraft): Leaf {
  const { field, op, value } = draft;
  if (field === "engagement") {
    return {
      field,
      op: op as "did" | "did_not",
      event: draft.event as "opened",
      ...(draft.scope === "task" ? { taskId: draft.taskId } : {}),
      ...(draft.scope === "days" ? { days: Number(draft.days) } : {}),
      ...(draft.event === "clicked" && draft.url.trim() ? { url: draft.url.trim() } : {}),
    };
  }
  if (field === "attribute") {
    const key = draft.name.trim();
    if (op === "present" || op === "absent") return { field, key, op };
    if (op === "in") return { field, key, op, value: value.split(",").map((one) => one.trim()).filter(Boolean) };
    if ((NUMERIC_OPERATORS as readonly string[]).includes(op) || op === "within_days") return { field, key, op: op as "gt", value: value.trim() === "" ? Number.NaN : Number(value) };
    return { field, key, op: op as "equals", value };
  }
  return { field, op, value } as Leaf;
}

export function toRule(draft: RuleDraft): Rule {
  return {
    match: draft.match,
    conditions: draft.conditions.map((condition): Condition => (isGroupDraft(condition) ? { match: condition.match, conditions: condition.leaves.map(leafOf) } : leafOf(condition))),
  };
}

function draftOf(leaf: Leaf): LeafDraft {
  const draft = { ...newLeaf(), field: leaf.field, op: leaf.op } as LeafDraft;
  if (leaf.field === "engagement") {
    return { ...draft, event: leaf.event, scope: leaf.taskId ? "task" : leaf.days ? "days" : "ever", taskId: leaf.taskId ?? "", days: String(leaf.days ?? 30), url: leaf.url ?? "" };
  }
  if (leaf.field === "attribute") return { ...draft, name: leaf.key, value: Array.isArray(leaf.value) ? leaf.value.join(", ") : leaf.value === undefined ? "" : String(leaf.value) };
  return { ...draft, value: leaf.value };
}

export function fromRule(rule: Rule): RuleDraft {
  return {
    match: rule.match,
    conditions: rule.conditions.map((condition) => ("match" in condition ? { key: nextKey(), match: condition.match, leaves: condition.conditions.map(draftOf) } : draftOf(condition))),
  };
}
