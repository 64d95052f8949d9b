import type { SendResult } from "@/lib/transports/types";
import { callProvider, providerText, transientFailure, type ProviderAnswer, type ResultBody } from "./http";
import { perMessageTransport } from "./per-message";
import { channelReason } from "./reasons";
import type { ChannelMessage, ChannelTransport } from "./types";
import { asArray, asRecord, textOf } from "./webhook";

export const WHATSAPP_DEFAULT_BASE_URL = "https://graph.facebook.com";
export const WHATSAPP_DEFAULT_API_VERSION = "v21.0";
const PROVIDER = "WhatsApp";

export type WhatsAppConfig = {
  /** A system user's access token with whatsapp_business_messaging. */
  token: string;
  phoneNumberId: string;
  baseUrl?: string;
  apiVersion?: string;
  concurrency?: number;
  timeoutMs?: number;
};

/**
 * Meta's documented error codes. Throughput (130429), pair rate (131056: too many to one number)
 * and the app/account limits (4, 80007) pass; so do Meta's own faults (1, 2, 131000). 190 is an
 * expired or revoked token: no retry helps until someone renews it.
 */
const TRANSIENT_CODES = new Set([1, 2, 4, 80007, 130429, 131000, 131056]);
const TOKEN_CODES = new Set([190]);

/**
 * WhatsApp Business Cloud API: `POST {base}/{version}/{phone-number-id}/messages` with a Bearer
 * token. Outside the 24-hour customer-service window (opened by the contact's last message) Meta
 * takes only approved templates, so free text the caller has not declared in-window is refused
 * here, before any request, with the reason, rather than sent to fail as 131047 later.
 */
export function createWhatsAppTransport(config: WhatsAppConfig): ChannelTransport {
  const baseUrl = (config.baseUrl ?? WHATSAPP_DEFAULT_BASE_URL).replace(/\/+$/, "");
  const url = `${baseUrl}/${config.apiVersion ?? WHATSAPP_DEFAULT_API_VERSION}/${encodeURIComponent(config.phoneNumberId)}/messages`;

  async function sendOne(message: ChannelMessage, signal?: AbortSignal): Promise<SendResult> {
    const payload = payloadOf(message);
    if (typeof payload === "string") return { id: message.id, ok: false, retry: false, reply: payload };
    const headers = { authorization: `Bearer ${config.token}`, "content-type": "application/json" };
    const outcome = await callProvider(PROVIDER, url, { method: "POST", headers, body: JSON.stringify(payload) }, { signal, timeoutMs: config.timeoutMs });
    if (!outcome.ok) return { id: message.id, ok: false, ...outcome.failure };
    return { id: message.id, ...resultOf(outcome.answer) };
  }

  return perMessageTransport({ channel: "whatsapp", name: "whatsapp", target: `${baseUrl} (phone number ${config.phoneNumberId})` }, { provider: PROVIDER, concurrency: config.concurrency }, sendOne);
}

/** The request body, or the reason it may not be sent. */
function payloadOf(message: ChannelMessage): Record<string, unknown> | string {
  const common = { messaging_product: "whatsapp", recipient_type: "individual", to: message.to.replace(/^\+/, "") };
  const template = message.template;
  if (template) {
    const components = template.variables.length > 0 ? [{ type: "body", parameters: template.variables.map((text) => ({ type: "text", text })) }] : [];
    return { ...common, type: "template", template: { name: template.name, language: { code: template.language }, components } };
  }
  if (!message.text) return channelReason("needsText", { provider: PROVIDER });
  if (!message.sessionOpen) return channelReason("whatsappOutsideWindow");
  return { ...common, type: "text", text: { preview_url: false, body: message.text } };
}

function resultOf(answer: ProviderAnswer): ResultBody {
  const body = asRecord(answer.json);
  if (answer.status >= 200 && answer.status < 300) {
    const first = asRecord(asArray(body?.messages)[0]);
    return { ok: true, providerId: textOf(first?.id), code: answer.status, reply: textOf(first?.message_status) ?? "accepted" };
  }
  const error = asRecord(body?.error);
  const code = typeof error?.code === "number" ? error.code : undefined;
  const details = textOf(asRecord(error?.error_data)?.details);
  const detail = [code, providerText(error?.message ?? answer.text), details ? `(${providerText(details)})` : ""].filter((part) => part !== undefined && part !== "").join(" ");
  if (code !== undefined && TOKEN_CODES.has(code)) return { ok: false, retry: false, code: answer.status, reply: channelReason("whatsappTokenRefused", { detail }) };
  const transient = transientFailure(PROVIDER, answer, detail, code !== undefined && TRANSIENT_CODES.has(code));
  if (transient) return { ok: false, ...transient };
  if (answer.status === 401) return { ok: false, retry: false, code: answer.status, reply: channelReason("credentialsRefused", { provider: PROVIDER, detail }) };
  // 131047 (outside the window), 131026 (undeliverable), 132001 (no such template) …: final.
  return { ok: false, retry: false, code: answer.status, reply: channelReason("answered", { provider: PROVIDER, detail: `${answer.status}: ${detail}` }) };
}
