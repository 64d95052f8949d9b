/** The words of a segment rule (rule.ts), without the database, so the console's builder can offer them. */
export const ATTRIBUTE_OPERATORS = ["equals", "not_equals", "contains", "in", "gt", "gte", "lt", "lte", "before", "after", "within_days", "present", "absent"] as const;
export type AttributeOperator = (typeof ATTRIBUTE_OPERATORS)[number];
export const NUMERIC_OPERATORS = ["gt", "gte", "lt", "lte"] as const satisfies readonly AttributeOperator[];
export const ENGAGEMENT_EVENTS = ["opened", "clicked", "sent", "bounced"] as const;
export type EngagementEvent = (typeof ENGAGEMENT_EVENTS)[number];
/** Which operators each field of a leaf takes. */
export const LEAF_OPERATORS = {
  pool: ["in", "not_in"],
  tag: ["has", "has_not"],
  status: ["is", "is_not"],
  email: ["equals", "not_equals", "contains"],
  name: ["equals", "not_equals", "contains"],
  attribute: ATTRIBUTE_OPERATORS,
  engagement: ["did", "did_not"],
} as const;
export type LeafField = keyof typeof LEAF_OPERATORS;
