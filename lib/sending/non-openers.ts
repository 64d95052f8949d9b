import type { Rule } from "@/lib/audiences/segments/rule";
import type { Audience } from "./recipients";

export { FOLLOW_UP_MAX_DAYS } from "@/lib/campaigns/limits";

/** Those `taskId` sent to and who have not (humanly) opened it: a segment rule, compiled like any other. */
export function nonOpenersRule(taskId: string): Rule {
  return {
    match: "all",
    conditions: [
      { field: "engagement", op: "did", event: "sent", taskId },
      { field: "engagement", op: "did_not", event: "opened", taskId },
    ],
  };
}

/** The audience of a task that follows up `original` (its department's contacts, on e-mail). */
export function followUpAudience(departmentId: string, original: string): Audience {
  return { departmentId, poolIds: [], segments: [nonOpenersRule(original)], channel: "email" };
}
