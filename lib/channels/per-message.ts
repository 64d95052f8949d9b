import type { SendResult } from "@/lib/transports/types";
import { mapLimit } from "./http";
import type { ChannelMessage, ChannelTransport } from "./types";

/** Requests in flight at once for a provider that takes one message per request. */
export const DEFAULT_CONCURRENCY = 5;

/**
 * A transport for an API that takes one message per request (Aliyun SendSms, Twilio, WhatsApp):
 * a batch is that many requests, a few in flight at once, the results in the batch's order.
 */
export function perMessageTransport(
  identity: Pick<ChannelTransport, "channel" | "name" | "target">,
  concurrency: number | undefined,
  sendOne: (message: ChannelMessage, signal?: AbortSignal) => Promise<SendResult>,
): ChannelTransport {
  return {
    ...identity,
    maxBatch: 100,
    sendBatch: (messages, options = {}) => mapLimit(messages, Math.max(1, concurrency ?? DEFAULT_CONCURRENCY), (message) => sendOne(message, options.signal)),
    close: async () => {},
  };
}
