import type { z } from "zod";
import { AppError, type Reason, type ReasonParams } from "@/lib/errors";

/** A field's refusal as it crosses to the console: the rule that words it, with its values. */
export type FieldRefusal = { code: "invalid_input"; reason: Reason; params?: ReasonParams; field: string };

/**
 * A zod issue → the rule of the reason catalogues that says it ("is required", "must be at
 * most {max} characters"), so the console words it in the reader's language beside the
 * field's label. A custom issue names its rule in `params.rule`.
 */
export function refusalOfIssue(issue: z.core.$ZodIssue, input: unknown): FieldRefusal {
  const field = issue.path.map(String).join(".") || "input";
  const rule = ruleOf(issue, valueAt(input, issue.path));
  return { code: "invalid_input", field, reason: rule.reason, ...(rule.params ? { params: rule.params } : {}) };
}

/** The first issue as an AppError (400) naming its field; every issue is in details for API callers. */
export function validationAppError(error: z.ZodError, input: unknown): AppError {
  const first = refusalOfIssue(error.issues[0]!, input);
  return new AppError("invalid_input", first.reason, {
    field: first.field,
    ...(first.params ? { params: first.params } : {}),
    details: { issues: error.issues.map((issue) => ({ path: issue.path.join("."), rule: refusalOfIssue(issue, input).reason })) },
  });
}

function ruleOf(issue: z.core.$ZodIssue, value: unknown): { reason: Reason; params?: ReasonParams } {
  const empty = value === undefined || value === null || (typeof value === "string" && value.trim() === "");
  switch (issue.code) {
    case "invalid_type":
      if (empty) return { reason: "required" };
      if (issue.expected === "int") return { reason: "notWholeNumber" };
      if (issue.expected === "number" || issue.expected === "bigint") return { reason: "notNumber" };
      return { reason: "invalid" };
    case "too_small": {
      const min = Number(issue.minimum);
      if (issue.origin === "string") return min <= 1 ? { reason: "required" } : { reason: "tooShort", params: { min } };
      if (issue.origin === "array" || issue.origin === "set") return { reason: "tooFew", params: { min } };
      return { reason: "tooSmall", params: { min } };
    }
    case "too_big": {
      const max = Number(issue.maximum);
      if (issue.origin === "string") return { reason: "tooLong", params: { max } };
      if (issue.origin === "array" || issue.origin === "set") return { reason: "tooMany", params: { max } };
      return { reason: "tooLarge", params: { max } };
    }
    case "invalid_format":
      if (issue.format === "email") return { reason: "notEmail" };
      if (issue.format === "uuid" || issue.format === "guid") return { reason: "notId" };
      if (issue.format === "url") return { reason: "notUrl" };
      if (issue.format === "date") return { reason: "notDate" };
      if (issue.format === "datetime") return { reason: "notDateTime" };
      return empty ? { reason: "required" } : { reason: "badFormat" };
    case "invalid_value":
    case "invalid_union":
      return empty ? { reason: "required" } : { reason: "notChoice" };
    case "not_multiple_of":
      return { reason: "notWholeNumber" };
    case "custom": {
      const named = (issue.params as { rule?: Reason; values?: ReasonParams } | undefined) ?? {};
      return named.rule ? { reason: named.rule, ...(named.values ? { params: named.values } : {}) } : { reason: "invalid" };
    }
    default:
      return { reason: "invalid" };
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
