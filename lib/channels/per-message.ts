import type { SendResult } from "@/lib/transports/types";
import { mapLimit } from "./http";
import { channelReason } from "./reasons";
import type { ChannelMessage, ChannelTransport } from "./types";

/** Requests in flight at once for a provider that takes one message per request. */
export const DEFAULT_CONCURRENCY = 5;

/** E.164: a plus, a country code not starting with 0, at most 15 digits in all. */
export const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * A transport for an API that takes one message per request (Aliyun SendSms, Twilio, WhatsApp):
 * a batch is that many requests, a few in flight at once, the results in the batch's order.
 */
export function perMessageTransport(
  identity: Pick<ChannelTransport, "channel" | "name" | "target">,
  settings: { provider: string; concurrency?: number },
  sendOne: (message: ChannelMessage, signal?: AbortSignal) => Promise<SendResult>,
): ChannelTransport {
  // Phone numbers are parsed and validated when contacts are imported; this guards the request
  // from anything else (a WeCom userid sent down the SMS channel) with a reason, not a provider error.
  const checked = (message: ChannelMessage, signal?: AbortSignal): Promise<SendResult> =>
    E164.test(message.to)
      ? sendOne(message, signal)
      : Promise.resolve({ id: message.id, ok: false, retry: false, reply: channelReason("invalidRecipient", { provider: settings.provider, detail: `"${message.to.slice(0, 40)}" is not an E.164 number (+8613800138000)` }) });
  return {
    ...identity,
    maxBatch: 100,
    sendBatch: (messages, options = {}) => mapLimit(messages, Math.max(1, settings.concurrency ?? DEFAULT_CONCURRENCY), (message) => checked(message, options.signal)),
    close: async () => {},
  };
}
