import "server-only";
import { z } from "zod";
import { getDb } from "@/lib/database";
import { authorize, type Permission } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { toErrorBody, type ErrorCode } from "@/lib/errors";
import { sessionActor } from "./request";

export type ActionError = { code: ErrorCode; message: string; fieldErrors?: Record<string, string> };
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
      if (!actor) return { ok: false, error: { code: "unauthorized", message: "Your session has ended; sign in again" } };
      authorize(actor, spec.permission);
      const parsed = spec.input.safeParse(raw instanceof FormData ? formDataToObject(raw) : raw);
      if (!parsed.success) return { ok: false, error: validationError(parsed.error) };
      return { ok: true, data: await spec.run({ db, actor }, parsed.data) };
    } catch (error) {
      const { body } = toErrorBody(error);
      const field = (body.error.details as { field?: string } | undefined)?.field;
      return {
        ok: false,
        error: { code: body.error.code, message: body.error.message, ...(field ? { fieldErrors: { [field]: body.error.message } } : {}) },
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

export function validationError(error: z.ZodError): ActionError {
  const fieldErrors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = issue.path.join(".") || "input";
    fieldErrors[field] ??= issue.message;
  }
  const first = error.issues[0];
  return {
    code: "invalid_input",
    message: first ? `${first.path.join(".") || "input"}: ${first.message}` : "Invalid input",
    fieldErrors,
  };
}
