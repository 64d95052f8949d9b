import type { AutomationStep, AutomationTrigger } from "@/db/schema";

/*
 * An automation as the builder holds it while it is typed: text as typed, and a branch's targets
 * held by the keys of the steps they name, so moving or removing steps keeps what a branch points
 * at. Turned into the stored shape (indices, numbers, tag names) only when it is posted.
 */

type Choice = { id: string; departmentId: string; name: string };

/** What the new-automation page offers, each row with its department (an admin sees every department's). */
export type AutomationOptions = {
  /** Null: the caller has one department and is not asked. */
  departments: { id: string; name: string }[] | null;
  templates: Choice[];
  senders: { id: string; departmentId: string; address: string; domain: string }[];
  pools: Choice[];
  tags: Choice[];
  tasks: Choice[];
};

/** The bounds the server holds an automation to (lib/campaigns/limits.ts AUTOMATION_LIMITS), handed over by the page. */
export type AutomationLimits = { maxSteps: number; maxWaitHours: number; maxDaysBefore: number };

export type StepType = AutomationStep["type"];
export type TriggerType = AutomationTrigger["type"];
export const TRIGGER_TYPES: readonly TriggerType[] = ["subscribed", "tag_added", "date_attribute", "clicked"];
export const STEP_TYPES: readonly StepType[] = ["wait", "send", "tag", "branch"];

/** `END` as a branch's target: the series ends there (not blank: a required select counts a blank choice as none). */
export const END = "end";

export type StepDraft = {
  key: string;
  type: StepType;
  hours: string;
  templateId: string;
  /** Tag names separated by commas. */
  add: string;
  remove: string;
  on: "opened" | "clicked";
  /** The key of the earlier send step a branch looks at, and of the later steps it goes on at (END: none). */
  sendStep: string;
  yes: string;
  no: string;
};

export type TriggerDraft = { type: TriggerType; poolId: string; tagId: string; taskId: string; attribute: string; yearly: boolean; daysBefore: string };

/** What "Adjust these steps" hands the builder, and what a blank builder starts from. */
export type BuilderSeed = { name: string; senderId: string; trigger: TriggerDraft; steps: StepDraft[] };

/** The three e-mails of the welcome series: the page hands over its steps with these names where the templates go. */
export const WELCOME_SLOTS = ["welcome", "followUp", "reminder"] as const;
export type WelcomeSlot = (typeof WELCOME_SLOTS)[number];

export const blankTrigger = (poolId = ""): TriggerDraft => ({ type: "subscribed", poolId, tagId: "", taskId: "", attribute: "", yearly: true, daysBefore: "0" });

let made = 0;
const newKey = () => `step-${++made}`;

export function blankStep(type: StepType): StepDraft {
  return { key: newKey(), type, hours: "24", templateId: "", add: "", remove: "", on: "opened", sendStep: "", yes: END, no: END };
}

/** Stored steps as drafts: the indices a branch names become the keys of those steps. */
export function draftOfSteps(steps: AutomationStep[]): StepDraft[] {
  const drafts = steps.map((step) => blankStep(step.type));
  const keyAt = (index: number | null) => (index === null ? END : (drafts[index]?.key ?? END));
  return steps.map((step, index) => {
    const draft = drafts[index]!;
    switch (step.type) {
      case "wait":
        return { ...draft, hours: String(step.hours) };
      case "send":
        return { ...draft, templateId: step.templateId };
      case "tag":
        return { ...draft, add: step.add.join(", "), remove: step.remove.join(", ") };
      case "branch":
        return { ...draft, on: step.on, sendStep: keyAt(step.sendStep), yes: keyAt(step.yes), no: keyAt(step.no) };
    }
  });
}

/** "VIP, 老客户，new" → ["VIP", "老客户", "new"]: commas of either width and the enumeration comma separate. */
export const tagNames = (text: string) =>
  text
    .split(/[,，、]/)
    .map((name) => name.trim())
    .filter(Boolean);

const whole = (text: string) => (text.trim() === "" ? 0 : Number(text));

/**
 * Drafts as the server takes them. A branch's target that is gone or no longer ahead of it is
 * posted as the branch's own place, which the server refuses beside that step in its own words.
 */
export function stepsOfDraft(drafts: StepDraft[]): AutomationStep[] {
  const indexOf = (key: string) => drafts.findIndex((draft) => draft.key === key);
  return drafts.map((draft, index): AutomationStep => {
    switch (draft.type) {
      case "wait":
        return { type: "wait", hours: whole(draft.hours) };
      case "send":
        return { type: "send", templateId: draft.templateId };
      case "tag":
        return { type: "tag", add: tagNames(draft.add), remove: tagNames(draft.remove) };
      case "branch": {
        const sendStep = indexOf(draft.sendStep);
        const target = (key: string) => (key === END ? null : indexOf(key) > index ? indexOf(key) : index);
        return { type: "branch", on: draft.on, sendStep: sendStep >= 0 && sendStep < index ? sendStep : index, yes: target(draft.yes), no: target(draft.no) };
      }
    }
  });
}

export function triggerOfDraft(draft: TriggerDraft): AutomationTrigger {
  switch (draft.type) {
    case "subscribed":
      return { type: "subscribed", poolId: draft.poolId };
    case "tag_added":
      return { type: "tag_added", tagId: draft.tagId };
    case "clicked":
      return { type: "clicked", taskId: draft.taskId };
    case "date_attribute":
      return { type: "date_attribute", attribute: draft.attribute, yearly: draft.yearly, daysBefore: whole(draft.daysBefore) };
  }
}

/** The first refusal of a field or of any field under it (the server says "steps.2", zod "steps.2.hours"). */
export function errorUnder(errors: Record<string, string>, field: string): string | undefined {
  return Object.entries(errors).find(([name]) => name === field || name.startsWith(`${field}.`))?.[1];
}
