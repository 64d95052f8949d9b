import type { FormActionResult } from "@/components/forms/action-form";
import { MAX_BULK_CONTACTS } from "@/lib/pools/contact-limits";
import { format, type Messages } from "@/lib/i18n";

type Failure = Extract<FormActionResult, { ok: false }>["error"];

/** A contact action's refusal in the reader's language, from the server's code, the field it named and the input sent. */
export function wordContactError(t: Messages, failure: Failure, form: FormData): Failure {
  const words = t.contacts.errors;
  const field = Object.keys(failure.fieldErrors ?? {})[0];
  const message = failure.fieldErrors?.[field ?? ""] ?? failure.message;
  let worded: string;
  if (failure.code === "unauthorized") worded = words.session;
  else if (failure.code === "forbidden") worded = words.forbidden;
  else if (failure.code === "not_found") worded = words.notFound;
  else if (field === "email" && failure.code === "conflict") {
    const existing = /#(\d+) <([^>]*)>(?: "(.*)")?$/.exec(message);
    worded = existing ? format(words.duplicate, { id: existing[1]!, email: existing[2]!, name: existing[3] ? ` “${existing[3]}”` : "" }) : format(words.other, { message });
  } else if (field === "email") {
    const value = String(form.get("email") ?? "").trim();
    worded = value ? format(words.emailInvalid, { value }) : words.emailRequired;
  } else if (field === "attributes") worded = words.attributes;
  else if (field === "expected") worded = format(words.countChanged, { count: (/matches (\d+)/.exec(message)?.[1] ?? "?") });
  else if (field === "q") worded = format(words.tooMany, { max: MAX_BULK_CONTACTS.toLocaleString() });
  else if (field === "ids") worded = words.nothingSelected;
  else if (failure.code === "conflict" && /is suppressed \((\w+)\)/.test(message)) {
    const reason = /is suppressed \((\w+)\)/.exec(message)![1] as keyof Messages["suppressions"]["reasons"];
    worded = format(words.stillSuppressed, { reason: t.suppressions.reasons[reason] ?? reason });
  } else if (failure.code === "conflict" && /is (bounced|complained);/.test(message)) {
    const status = /is (bounced|complained);/.exec(message)![1] as "bounced" | "complained";
    worded = format(words.notResubscribable, { status: t.pools.statuses[status] });
  } else worded = format(words.other, { message });
  return { ...failure, message: worded, fieldErrors: field ? { [field]: worded } : {} };
}

/** A contact server action whose refusals come back worded for the console. */
export function wordedContact(t: Messages, action: (form: FormData) => Promise<FormActionResult>) {
  return async (form: FormData): Promise<FormActionResult> => {
    const result = await action(form);
    return result.ok ? result : { ok: false, error: wordContactError(t, result.error, form) };
  };
}
