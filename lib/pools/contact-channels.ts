import "server-only";
import { CHANNELS, type Channel } from "@/db/schema";
import { invalidInput } from "@/lib/errors";
import type { Reason } from "@/lib/i18n/reasons-en";
import { readPhoneCell } from "./phone-cell";

/** A WeCom (企业微信) userid as its API accepts one: 1–64 letters, digits and . _ - @. */
export const WECOM_USER_ID = /^[A-Za-z0-9._@-]{1,64}$/;

export type ChannelFields = { phone: string | null; wecomUserId: string | null; channelConsent: Channel[] };

/** Consent as stored: known channels only, each once, in CHANNELS order (so equal sets compare equal). */
export function consentList(channels: readonly string[]): Channel[] {
  return CHANNELS.filter((channel) => channels.includes(channel));
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
  const unknown = (input.channelConsent ?? []).find((channel) => !(CHANNELS as readonly string[]).includes(channel));
  if (unknown !== undefined) throw invalidInput("notChannel", { field: "channelConsent", params: { value: unknown.slice(0, 40) } });
  return { phone: phone.e164, wecomUserId: wecomUserId || null, channelConsent: consentList(input.channelConsent ?? []) };
}
