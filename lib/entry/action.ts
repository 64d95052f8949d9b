import "server-only";
import { z } from "zod";
import { getDb } from "@/lib/database";
import { authorize, type Permission } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { toErrorBody, type ErrorCode, type Reason, type ReasonParams } from "@/lib/errors";
import { sessionActor } from "./request";
import { refusalOfIssue, type FieldRefusal } from "./validation";

/**
 * A refusal as the console receives it: a code and the reason (with its values) that the
 * console words in the reader's language; `message` is the English wording, for logs.
 */
export type ActionError = {
  code: ErrorCode;
  message: string;
  reason: Reason;
  params?: ReasonParams;
  field?: string;
  fieldErrors?: Record<string, FieldRefusal>;
};
export type ActionResult<T> = { ok: true; data: T } | { ok: false; error: ActionError };

export type EntryPointInfo = { kind: "action"; permission: Permission };

/**
 * Every server action goes through here: signed in (401), allowed by the policy (403),
 * input parsed with zod (400), then the domain function, which authorises the object and
 * audits inside its transaction. Errors come back typed, never thrown to the client.
 */
export function defineAction<Schema extends z.ZodType, T>(spec: {
  permission: Permission;
  input: Schema;
  run: (ctx: Ctx, input: z.output<Schema>) => Promise<T>;
}) {
  const action = async (raw: FormData | z.input<Schema>): Promise<ActionResult<T>> => {
    try {
      const db = await getDb();
      const actor = await sessionActor(db);
      if (!actor) return { ok: false, error: { code: "unauthorized", message: "Your session has ended; sign in again", reason: "sessionEnded" } };
      authorize(actor, spec.permission);
      const input = raw instanceof FormData ? formDataToObject(raw) : raw;
      const parsed = spec.input.safeParse(input);
      if (!parsed.success) return { ok: false, error: validationError(parsed.error, input) };
      return { ok: true, data: await spec.run({ db, actor }, parsed.data) };
    } catch (error) {
      const { body } = toErrorBody(error);
      const field = (body.error.details as { field?: string } | undefined)?.field;
      const refusal = { code: body.error.code, reason: body.error.reason, ...(body.error.params ? { params: body.error.params } : {}) };
      return {
        ok: false,
        error: {
          ...refusal,
          message: body.error.message,
          ...(field ? { field, fieldErrors: { [field]: { ...refusal, code: "invalid_input", field } as FieldRefusal } } : {}),
        },
      };
    }
  };
  const info: EntryPointInfo = { kind: "action", permission: spec.permission };
  return Object.assign(action, { entryPoint: info });
}

function formDataToObject(form: FormData): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of form.entries()) {
    if (key.startsWith("$ACTION")) continue;
    const existing = object[key];
    if (existing === undefined) object[key] = value;
    else object[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return object;
}

export function validationError(error: z.ZodError, input: unknown): ActionError {
  const fieldErrors: Record<string, FieldRefusal> = {};
  for (const issue of error.issues) {
    const refusal = refusalOfIssue(issue, input);
    fieldErrors[refusal.field] ??= refusal;
  }
  const first = Object.values(fieldErrors)[0]!;
  return { ...first, message: `${first.field}: ${first.reason}`, fieldErrors };
}
