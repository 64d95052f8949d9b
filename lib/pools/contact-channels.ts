import "server-only";
import { CONTACT_CHANNELS, type ContactChannel } from "@/db/schema";
import type { MessagingChannel } from "@/lib/channels/types";
import { WECOM_USER_ID } from "@/lib/channels/wecom";
import { invalidInput } from "@/lib/errors";
import type { Reason } from "@/lib/i18n/reasons-en";
import { readPhoneCell } from "./phone-cell";

/** The channels a contact consents to and is suppressed on are the ones lib/channels sends on (checked by the compiler). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameChannels: Same<ContactChannel, MessagingChannel> = true;
void sameChannels;

export { WECOM_USER_ID };

export type ChannelFields = { phone: string | null; wecomUserId: string | null; channelConsent: ContactChannel[] };

/** Consent as stored: known channels only, each once, in CONTACT_CHANNELS order (so equal sets compare equal). */
export function consentList(channels: readonly string[]): ContactChannel[] {
  return CONTACT_CHANNELS.filter((channel) => channels.includes(channel));
}

/**
 * A contact's phone, WeCom id and consent as typed in a form: empty fields mean "none"; a phone
 * that is not one, or a WeCom id that is not one, is refused naming the field.
 */
export function checkChannelFields(input: { phone?: string; wecomUserId?: string; channelConsent?: readonly string[] }, region: string): ChannelFields {
  const phone = readPhoneCell(input.phone, region);
  if (!phone.ok) throw invalidInput(phone.problem.params.problem as Reason, { field: "phone", params: phone.problem.params });
  const wecomUserId = input.wecomUserId?.trim() ?? "";
  if (wecomUserId !== "" && !WECOM_USER_ID.test(wecomUserId)) throw invalidInput("notWecomUserId", { field: "wecomUserId" });
  const unknown = (input.channelConsent ?? []).find((channel) => !(CONTACT_CHANNELS as readonly string[]).includes(channel));
  if (unknown !== undefined) throw invalidInput("notChannel", { field: "channelConsent", params: { value: unknown.slice(0, 40) } });
  return { phone: phone.e164, wecomUserId: wecomUserId || null, channelConsent: consentList(input.channelConsent ?? []) };
}
