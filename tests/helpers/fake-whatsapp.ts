import crypto from "node:crypto";
import { postWebhook, startFakeServer, type RecordedCall } from "./fake-provider";

/**
 * The WhatsApp Business Cloud API on loopback: `POST /{version}/{phone-number-id}/messages` with a
 * Bearer token (401 OAuthException code 190 otherwise), template and text messages checked for the
 * fields Meta requires, Meta's error bodies for numbers told to fail, and the throughput limit
 * (130429) for the next N requests. Webhooks go back signed with X-Hub-Signature-256 over the raw
 * bytes, as Meta signs them.
 */

export type MetaError = { code: number; message: string; status?: number; details?: string };

export type FakeWhatsAppOptions = {
  token: string;
  phoneNumberId: string;
  appSecret: string;
  /** By `to` as sent (digits, no plus). */
  errors: Record<string, MetaError>;
  /** Answer 130429 (throughput reached) to the next N requests. */
  rateLimitFirst: number;
};

export type WhatsAppSent = { id: string; to: string; type: string; payload: Record<string, unknown> };

export async function startFakeWhatsApp(initial: Partial<FakeWhatsAppOptions> & Pick<FakeWhatsAppOptions, "token" | "phoneNumberId" | "appSecret">) {
  const options: FakeWhatsAppOptions = { errors: {}, rateLimitFirst: 0, ...initial };
  const sent: WhatsAppSent[] = [];
  const metaError = ({ code, message, status = 400, details }: MetaError) => ({
    status,
    body: { error: { message, type: "OAuthException", code, ...(details ? { error_data: { messaging_product: "whatsapp", details } } : {}), fbtrace_id: crypto.randomBytes(8).toString("hex") } },
  });

  const problemOf = (payload: Record<string, unknown>): string | undefined => {
    if (payload.messaging_product !== "whatsapp") return "(#100) The parameter messaging_product is required.";
    if (typeof payload.to !== "string" || !payload.to) return "(#100) The parameter to is required.";
    if (payload.type === "template") {
      const template = payload.template as { name?: unknown; language?: { code?: unknown } } | undefined;
      if (!template?.name || !template.language?.code) return "(#100) Param template['name'] and template['language']['code'] are required.";
      return undefined;
    }
    if (payload.type === "text") return typeof (payload.text as { body?: unknown } | undefined)?.body === "string" ? undefined : "(#100) The parameter text['body'] is required.";
    return "(#100) Param type must be one of {audio, contacts, document, image, interactive, location, reaction, sticker, template, text, video}.";
  };

  const answer = (call: RecordedCall) => {
    if (call.headers.authorization !== `Bearer ${options.token}`) return metaError({ code: 190, status: 401, message: "Error validating access token: Session has expired on Monday, 07-Dec-26 01:00:00 PST." });
    if (call.method !== "POST" || !new RegExp(`^/v\\d+\\.\\d+/${options.phoneNumberId}/messages$`).test(call.path)) {
      return metaError({ code: 100, message: "Unsupported post request. Object does not exist or does not support this operation." });
    }
    if (options.rateLimitFirst > 0) {
      options.rateLimitFirst--;
      return metaError({ code: 130429, message: "Rate limit hit", details: "Cloud API message throughput has been reached." });
    }
    const payload = JSON.parse(call.body) as Record<string, unknown>;
    const problem = problemOf(payload);
    if (problem) return metaError({ code: 100, message: problem });
    const to = String(payload.to);
    const error = options.errors[to];
    if (error) return metaError(error);
    const id = `wamid.${crypto.randomBytes(24).toString("base64url")}`;
    sent.push({ id, to, type: String(payload.type), payload });
    return { status: 200, body: { messaging_product: "whatsapp", contacts: [{ input: to, wa_id: to }], messages: [{ id, ...(payload.type === "template" ? { message_status: "accepted" } : {}) }] } };
  };

  const server = await startFakeServer(answer);
  const notification = (value: Record<string, unknown>) => ({
    object: "whatsapp_business_account",
    entry: [{ id: "102290129340398", changes: [{ field: "messages", value: { messaging_product: "whatsapp", metadata: { display_phone_number: "15550783881", phone_number_id: options.phoneNumberId }, ...value } }] }],
  });
  /** Posts `payload` to `url` signed with the app secret (or `secret`, to forge one); returns the raw body sent. */
  const postSigned = async (url: string, payload: unknown, secret = options.appSecret) => {
    const body = JSON.stringify(payload);
    const signature = `sha256=${crypto.createHmac("sha256", secret).update(Buffer.from(body, "utf8")).digest("hex")}`;
    return { body, answer: await postWebhook(url, body, { "content-type": "application/json", "x-hub-signature-256": signature }) };
  };
  return {
    ...server,
    options,
    sent,
    notification,
    postSigned,
    /** A status webhook for a sent message (sent, delivered, read, failed with Meta's error). */
    sendStatus: (url: string, message: WhatsAppSent, status: string, at: Date, error?: MetaError & { title: string }) =>
      postSigned(url, notification({ statuses: [{ id: message.id, status, timestamp: String(Math.floor(at.getTime() / 1000)), recipient_id: message.to, ...(error ? { errors: [{ code: error.code, title: error.title, message: error.message, error_data: { details: error.details ?? "" } }] } : {}) }] })),
    /** A text message from `from` (digits, as Meta writes wa_id). */
    sendText: (url: string, from: string, text: string, at: Date) =>
      postSigned(url, notification({ contacts: [{ profile: { name: "Kerry Fisher" }, wa_id: from }], messages: [{ from, id: `wamid.${crypto.randomBytes(12).toString("base64url")}`, timestamp: String(Math.floor(at.getTime() / 1000)), type: "text", text: { body: text } }] })),
  };
}

export type FakeWhatsApp = Awaited<ReturnType<typeof startFakeWhatsApp>>;
