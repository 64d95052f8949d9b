import { firstAddressRun } from "./address-scan";
import { headerValue, parseFields } from "./mime";

/** One per-recipient group of an RFC 3464 message/delivery-status part. */
export type DsnRecipient = {
  recipient: string | null;
  action: string | null;
  status: string | null;
  diagnostic: string | null;
};

export function parseDeliveryStatus(text: string): DsnRecipient[] {
  const groups = text.split(/\r?\n[ \t]*\r?\n/).map((group) => parseFields(group.trim()));
  return groups
    .filter((fields) => fields.has("final-recipient") || fields.has("original-recipient") || fields.has("action") || fields.has("status"))
    .map((fields) => ({
      recipient: addressOf(headerValue(fields, "final-recipient")) ?? addressOf(headerValue(fields, "original-recipient")),
      action: headerValue(fields, "action")?.toLowerCase().split(/[\s(]/)[0] ?? null,
      status: headerValue(fields, "status")?.match(/\d\.\d{1,3}\.\d{1,3}/)?.[0] ?? null,
      diagnostic: stripTypePrefix(headerValue(fields, "diagnostic-code")),
    }));
}

/** "rfc822; <Someone@Example.com>" → "someone@example.com". */
export function addressOf(value: string | undefined): string | null {
  const address = value ? firstAddressRun(value) : undefined;
  return address ? address.replace(/\.$/, "").toLowerCase() : null;
}

function stripTypePrefix(value: string | undefined): string | null {
  const text = value?.replace(/^[\w-]+\s*;\s*/, "").replace(/\s+/g, " ").trim();
  return text ? text : null;
}
