import type { FormActionResult } from "@/components/forms/action-form";
import { LIMIT_BOUNDS, MAX_IP_RANGES } from "@/lib/gateway/account-rules";
import { format, type Messages } from "@/lib/i18n";

type Failure = Extract<FormActionResult, { ok: false }>["error"];
type Words = Messages["smtpAccounts"]["errors"];

/** One field's refusal in the reader's language, from the server's code and the field it named. */
function wordField(words: Words, failure: Failure, field: string, message: string): string {
  switch (field) {
    case "username":
      return failure.code === "conflict" ? words.usernameTaken : words.usernameRule;
    case "password":
      return words.passwordRule;
    case "messagesPerMinute":
    case "maxRecipients":
      return format(words.limitRule, { max: LIMIT_BOUNDS[field].toLocaleString() });
    case "allowedIps": {
      const entry = /"([^"]*)"/.exec(message)?.[1];
      return entry === undefined ? format(words.ipTooMany, { max: MAX_IP_RANGES }) : format(words.ipRule, { entry });
    }
    case "departmentId":
      return words.department;
    case "id":
      return words.notFound;
    default:
      return format(words.other, { message });
  }
}

const BY_CODE: Partial<Record<string, keyof Words>> = {
  conflict: "inUse",
  forbidden: "forbidden",
  not_found: "notFound",
  unauthorized: "session",
  rate_limited: "busy",
};

/** The server's refusal as the console words it: each named field, and the line under the form. */
export function wordSmtpAccountError(words: Words, failure: Failure): Failure {
  const fieldErrors = Object.fromEntries(Object.entries(failure.fieldErrors ?? {}).map(([field, message]) => [field, wordField(words, failure, field, message)]));
  const first = Object.values(fieldErrors)[0];
  const byCode = BY_CODE[failure.code];
  const message = first ?? (byCode ? (words[byCode] as string) : format(words.other, { message: failure.message }));
  return { ...failure, message, fieldErrors };
}

/** A server action whose refusals come back worded for the console. */
export function worded(words: Words, action: (form: FormData) => Promise<FormActionResult>) {
  return async (form: FormData): Promise<FormActionResult> => {
    const result = await action(form);
    return result.ok ? result : { ok: false, error: wordSmtpAccountError(words, result.error) };
  };
}
