import type { SendResult } from "@/lib/transports/types";
import { callProvider, providerText, transientFailure, type ProviderAnswer, type ResultBody } from "./http";
import { perMessageTransport } from "./per-message";
import { channelReason } from "./reasons";
import type { ChannelMessage, ChannelTransport } from "./types";
import { asRecord, textOf } from "./webhook";

export const TWILIO_DEFAULT_BASE_URL = "https://api.twilio.com";
const PROVIDER = "Twilio";

export type TwilioSmsConfig = {
  accountSid: string;
  authToken: string;
  /** The sending number (E.164) or alphanumeric sender; or else a Messaging Service. */
  from?: string;
  messagingServiceSid?: string;
  /** Where Twilio posts status callbacks (receipts) for each message. */
  statusCallback?: string;
  baseUrl?: string;
  concurrency?: number;
  timeoutMs?: number;
};

/** Twilio's codes for a recipient that can never get this message: invalid, not a mobile, landline. */
const RECIPIENT_CODES = new Set([21211, 21614, 21612, 21408]);

/**
 * Twilio's Programmable Messaging: `POST /2010-04-01/Accounts/{Sid}/Messages.json`, form-encoded,
 * HTTP Basic auth with the account SID and auth token. One request per message (the API has no
 * batch), a few in flight at once.
 */
export function createTwilioSmsTransport(config: TwilioSmsConfig): ChannelTransport {
  if (!config.from && !config.messagingServiceSid) throw new Error("Twilio needs a sending number (From) or a MessagingServiceSid");
  const baseUrl = (config.baseUrl ?? TWILIO_DEFAULT_BASE_URL).replace(/\/+$/, "");
  const url = `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString("base64")}`;

  async function sendOne(message: ChannelMessage, signal?: AbortSignal): Promise<SendResult> {
    if (!message.text) return { id: message.id, ok: false, retry: false, reply: channelReason("needsText", { provider: PROVIDER }) };
    const form = new URLSearchParams({ To: message.to, Body: message.text });
    if (config.messagingServiceSid) form.set("MessagingServiceSid", config.messagingServiceSid);
    else form.set("From", config.from!);
    if (config.statusCallback) form.set("StatusCallback", config.statusCallback);
    const outcome = await callProvider(PROVIDER, url, { method: "POST", headers: { authorization, "content-type": "application/x-www-form-urlencoded" }, body: form.toString() }, { signal, timeoutMs: config.timeoutMs });
    if (!outcome.ok) return { id: message.id, ok: false, ...outcome.failure };
    return { id: message.id, ...resultOf(outcome.answer) };
  }

  return perMessageTransport({ channel: "sms", name: "twilio", target: `${baseUrl} (account ${config.accountSid})` }, { provider: PROVIDER, concurrency: config.concurrency }, sendOne);
}

function resultOf(answer: ProviderAnswer): ResultBody {
  const body = asRecord(answer.json);
  if (answer.status === 201 || answer.status === 200) return { ok: true, providerId: textOf(body?.sid), code: answer.status, reply: textOf(body?.status) ?? "queued" };
  const twilioCode = typeof body?.code === "number" ? body.code : undefined;
  const what = [twilioCode, providerText(body?.message ?? answer.text)].filter((part) => part !== undefined && part !== "").join(" ");
  const detail = `${answer.status}: ${what}`;
  const transient = transientFailure(PROVIDER, answer, what);
  if (transient) return { ok: false, ...transient };
  if (answer.status === 401 || answer.status === 403) return { ok: false, retry: false, code: answer.status, reply: channelReason("credentialsRefused", { provider: PROVIDER, detail }) };
  if (twilioCode !== undefined && RECIPIENT_CODES.has(twilioCode)) return { ok: false, retry: false, code: answer.status, reply: channelReason("invalidRecipient", { provider: PROVIDER, detail }) };
  // 21610: the recipient replied STOP to this sender; Twilio refuses until they reply START.
  return { ok: false, retry: false, code: answer.status, reply: channelReason("answered", { provider: PROVIDER, detail }) };
}
