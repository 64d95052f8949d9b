import "server-only";
import { z } from "zod";
import { CONTACT_STATUSES } from "@/db/schema/pools";
import { isUuid } from "@/lib/ids";
import { ATTRIBUTE_OPERATORS, ENGAGEMENT_EVENTS, LEAF_OPERATORS, NUMERIC_OPERATORS } from "./vocabulary";

/*
 * A segment's rule: which of a department's contacts it holds. JSON the console builder and the API
 * both send, validated here and compiled to one SQL query by compile.ts. Values are data, never SQL.
 */

const text = z.string().max(500);
const id = z.string().refine(isUuid, { message: "is not a valid id", params: { rule: "notId" } });
const days = z.number().int().min(1).max(3650);

export { ATTRIBUTE_OPERATORS, ENGAGEMENT_EVENTS, NUMERIC_OPERATORS, type AttributeOperator, type EngagementEvent } from "./vocabulary";

const poolCondition = z.object({ field: z.literal("pool"), op: z.enum(LEAF_OPERATORS.pool), value: id });
const tagCondition = z.object({ field: z.literal("tag"), op: z.enum(LEAF_OPERATORS.tag), value: id });
const statusCondition = z.object({ field: z.literal("status"), op: z.enum(LEAF_OPERATORS.status), value: z.enum(CONTACT_STATUSES) });
const textCondition = z.object({ field: z.enum(["email", "name"]), op: z.enum(LEAF_OPERATORS.email), value: text });

/** `value` by operator: a string; a list for `in`; a number for gt…lte; a date (YYYY-MM-DD) for before/after; days for within_days; none for present/absent. */
const attributeCondition = z
  .object({
    field: z.literal("attribute"),
    key: z.string().min(1).max(200),
    op: z.enum(ATTRIBUTE_OPERATORS),
    value: z.union([text, z.array(text).min(1).max(100), z.number()]).optional(),
  })
  .superRefine((condition, context) => {
    const { op, value } = condition;
    const refuse = (rule: "ruleNeedsList" | "ruleNeedsNumber" | "ruleNeedsDays" | "ruleNeedsDate" | "ruleNeedsText") =>
      context.addIssue({ code: "custom", path: ["value"], message: rule, params: { rule } });
    if (op === "present" || op === "absent") return;
    if (op === "in") return void (Array.isArray(value) || refuse("ruleNeedsList"));
    if ((NUMERIC_OPERATORS as readonly string[]).includes(op)) return void ((typeof value === "number" && Number.isFinite(value)) || refuse("ruleNeedsNumber"));
    if (op === "within_days") return void ((typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 3650) || refuse("ruleNeedsDays"));
    if (op === "before" || op === "after") return void ((typeof value === "string" && isIsoDate(value)) || refuse("ruleNeedsDate"));
    if (typeof value !== "string") refuse("ruleNeedsText");
  });

/** Did (or did not) the contact's deliveries see this: in one task, in the last N days, or ever; clicks optionally on one link. */
const engagementCondition = z
  .object({
    field: z.literal("engagement"),
    op: z.enum(LEAF_OPERATORS.engagement),
    event: z.enum(ENGAGEMENT_EVENTS),
    taskId: id.optional(),
    days: days.optional(),
    url: z.string().min(1).max(2000).optional(),
  })
  .refine((condition) => condition.url === undefined || condition.event === "clicked", { path: ["url"], message: "a link is only for clicks", params: { rule: "ruleLinkOnlyForClicks" } });

export const leafSchema = z.union([poolCondition, tagCondition, statusCondition, textCondition, attributeCondition, engagementCondition]);
export type Leaf = z.infer<typeof leafSchema>;

const match = z.enum(["all", "any"]);
export const groupSchema = z.object({ match, conditions: z.array(leafSchema).min(1).max(20) });
export type Group = z.infer<typeof groupSchema>;

/** The rule: all or any of its conditions, each a leaf or a group of leaves (nesting one level). */
export const ruleSchema = z.object({ match, conditions: z.array(z.union([leafSchema, groupSchema])).max(20) });
export type Rule = z.infer<typeof ruleSchema>;
export type Condition = Rule["conditions"][number];

export function isGroup(condition: Condition): condition is Group {
  return "match" in condition;
}

export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}
