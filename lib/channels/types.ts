import type { SendFailure, SendResult } from "@/lib/transports/types";

/**
 * The one interface every non-mail channel implements (SMS through Aliyun or Twilio, WhatsApp
 * Business, WeCom application messages), shaped like lib/transports' `Transport`: a transport
 * sends what it is given and reports one result per message; suppression, consent, quota and
 * templates are decided before it is called.
 */

export type Channel = "email" | "sms" | "whatsapp" | "wecom";
export const MESSAGING_CHANNELS = ["sms", "whatsapp", "wecom"] as const satisfies readonly Channel[];
export type MessagingChannel = (typeof MESSAGING_CHANNELS)[number];

export type ChannelTemplate = {
  /** The provider's approved template: a WhatsApp template name, an Aliyun TemplateCode. */
  name: string;
  /** WhatsApp's language code ("en_US", "zh_CN"); unused by providers without one. */
  language: string;
  /** Positional values ({{1}}, {{2}} … in WhatsApp), in order. */
  variables: string[];
  /** Named values for providers whose templates name them (Aliyun's ${code}); wins over `variables` there. */
  params?: Record<string, string>;
};

export type ChannelMessage = {
  /** The delivery this message is for; echoed in results. */
  id: string;
  channel: MessagingChannel;
  /** E.164 ("+8613800138000") for sms and whatsapp; the WeCom userid for wecom. */
  to: string;
  text?: string;
  template?: ChannelTemplate;
  /**
   * WhatsApp only: the caller has seen a message from this contact within the last 24 hours (the
   * customer-service window), so free text is allowed. Outside it only a template may be sent.
   */
  sessionOpen?: boolean;
};

export interface ChannelTransport {
  readonly channel: MessagingChannel;
  readonly name: "aliyun" | "twilio" | "whatsapp" | "wecom";
  /** Largest batch one sendBatch call should get. */
  readonly maxBatch: number;
  /** Where messages go, without secrets (for the console): the API base URL and account. */
  readonly target: string;
  /**
   * Sends the messages and resolves with one result per message, in the same order. Failures of
   * single messages, of the connection or of the provider are results, not rejections.
   */
  sendBatch(messages: ChannelMessage[], options?: { signal?: AbortSignal }): Promise<SendResult[]>;
  close(): Promise<void>;
}

/** A delivery receipt, whatever provider sent it; `providerId` is the id its send answer gave. */
export type Receipt = {
  providerId: string;
  status: "delivered" | "failed" | "read" | "sent";
  at: Date;
  /** The provider's words for a failure ("131026 Message undeliverable"). */
  reason?: string;
};

/** A message a contact sent back. */
export type InboundReply = {
  channel: MessagingChannel;
  /** E.164, or the WeCom userid. */
  from: string;
  text: string;
  at: Date;
  providerId?: string;
};

export type { SendFailure, SendResult };
