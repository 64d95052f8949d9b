import "server-only";
import type { Executor } from "@/db/client";
import type { Actor } from "@/lib/access/actor";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { AppError, type Reason, type ReasonParams } from "@/lib/errors";
import { MAX_ATTRIBUTE_VALUE, MAX_NAME } from "@/lib/pools/contact-limits";
import { subscribe } from "@/lib/pools/subscribe";
import { countHoneypot, signupCounter } from "./limits";
import { CONSENT_VALUE, HONEYPOT_FIELD, fieldName } from "./post-names";
import type { PublicForm } from "./public";

/** A refusal the page shows beside `field` (`email`, `name`, `field.<attribute>`, `consent`, or `form` for the whole form). */
export type FormError = { field: string; reason: Reason; params?: ReasonParams };
export type SubmissionOutcome = { ok: true } | { ok: false; errors: FormError[] };

// C0 controls but tab, DEL, C1 controls, and the U+FFFD a byte unreadable in the post's encoding became.
const UNREADABLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\ufffd]/;

/**
 * The person a form's post is acting for: the department the form belongs to and nothing else,
 * so subscribe's policy check (pools.manage on the pool's department) holds for this pool alone.
 */
function formActor(form: PublicForm, ip: string): Actor {
  return { kind: "system", id: `form:${form.id}`, label: `sign-up form (${form.title.slice(0, 80)})`, role: "department", departmentId: form.departmentId, readable: [form.departmentId], ip };
}

function readText(values: Record<string, string>, field: string, max: number, errors: FormError[]): string {
  const value = (values[field] ?? "").trim();
  if (UNREADABLE.test(value)) errors.push({ field, reason: "formUnreadable" });
  else if (value.length > max) errors.push({ field, reason: "tooLong", params: { max } });
  return value;
}

/** The post checked field by field against the form: every refusal at once, or what to subscribe. */
export function checkSubmission(form: PublicForm, values: Record<string, string>) {
  const errors: FormError[] = [];
  const typed = readText(values, "email", 320, errors);
  const address = typed === "" ? null : normalizeAddress(typed);
  if (typed === "") errors.push({ field: "email", reason: "required" });
  else if (address && !address.ok) errors.push({ field: "email", reason: address.reason, params: address.params });
  const name = form.askName ? readText(values, "name", MAX_NAME, errors) : "";
  const attributes: Record<string, string> = {};
  for (const field of form.fields) {
    const key = fieldName(field.attribute);
    const value = readText(values, key, MAX_ATTRIBUTE_VALUE, errors);
    if (value !== "") attributes[field.attribute] = value;
    else if (field.required && !errors.some((error) => error.field === key)) errors.push({ field: key, reason: "required" });
  }
  if (form.consentText && values.consent !== CONSENT_VALUE) errors.push({ field: "consent", reason: "formConsentRequired" });
  return { errors, email: address?.ok ? address.email : "", name, attributes };
}

/**
 * A post to a hosted form. A filled honeypot is answered as a success and adds nobody; a valid
 * post counts against the IP's sign-ups to this form (SIGNUPS_PER_IP_PER_HOUR) and then
 * subscribes the address pending, with only the form's declared fields as attributes, and mails
 * the confirmation link: a form is always double opt-in.
 */
export async function submitSignupForm(db: Executor, form: PublicForm, values: Record<string, string>, ip: string): Promise<SubmissionOutcome> {
  if ((values[HONEYPOT_FIELD] ?? "") !== "") {
    countHoneypot(form.id, ip);
    return { ok: true };
  }
  const checked = checkSubmission(form, values);
  if (checked.errors.length > 0) return { ok: false, errors: checked.errors };
  const verdict = signupCounter.take(`${form.id}|${ip}`);
  if (!verdict.ok) return { ok: false, errors: [{ field: "form", reason: "formTooManySignups", params: { minutes: Math.ceil(verdict.retryAfterSeconds / 60) } }] };
  try {
    await subscribe(
      { db, actor: formActor(form, ip) },
      { poolId: form.poolId, email: checked.email, name: checked.name, attributes: checked.attributes, doubleOptIn: true },
    );
    return { ok: true };
  } catch (error) {
    if (error instanceof AppError && (error.code === "invalid_input" || error.code === "rate_limited")) {
      return { ok: false, errors: [{ field: error.field ?? "form", reason: error.reason, params: error.params }] };
    }
    throw error;
  }
}
