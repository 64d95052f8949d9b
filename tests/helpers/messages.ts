import crypto from "node:crypto";
import type { OutgoingMessage } from "@/lib/transports/types";

/** A message as the sending code hands it to a transport, with the headers every message carries. */
export function outgoingMessage(to: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  const id = crypto.randomUUID();
  return {
    id,
    from: { address: "news@news.example.com", name: "Example News" },
    to,
    subject: "Hello",
    html: "<p>Hello</p>",
    text: "Hello",
    messageId: `<${crypto.randomUUID()}@news.example.com>`,
    headers: {
      "List-Unsubscribe": `<https://fanout.example.com/u/${id}>, <mailto:unsubscribe@news.example.com?subject=${id}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      "X-Fanout-Delivery": id,
    },
    ...extra,
  };
}
