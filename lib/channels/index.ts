import "server-only";
import { readChannelSettings, type ChannelSettings } from "./env";
import { createAliyunSmsTransport } from "./sms-aliyun";
import { createTwilioSmsTransport } from "./sms-twilio";
import { MESSAGING_CHANNELS, type ChannelTransport, type MessagingChannel } from "./types";
import { createWeComTransport } from "./wecom";
import { createWhatsAppTransport } from "./whatsapp";

export { readChannelSettings, type ChannelSettings } from "./env";
export type { ChannelMessage, ChannelTransport, InboundReply, MessagingChannel, Receipt } from "./types";

/** The variable to set first, per channel, when a task asks for a channel nobody configured. */
const FIRST_VARIABLE: Record<MessagingChannel, string> = {
  sms: "FANOUT_SMS_PROVIDER",
  whatsapp: "FANOUT_WHATSAPP_TOKEN and FANOUT_WHATSAPP_PHONE_NUMBER_ID",
  wecom: "FANOUT_WECOM_CORP_ID, FANOUT_WECOM_SECRET and FANOUT_WECOM_AGENT_ID",
};

export class ChannelNotConfiguredError extends Error {
  constructor(readonly channel: MessagingChannel) {
    super(`The ${channel} channel is not configured: set ${FIRST_VARIABLE[channel]}`);
    this.name = "ChannelNotConfiguredError";
  }
}

/** The transport for a channel, from settings (readChannelSettings) or straight from an environment. */
export function createChannelTransport(channel: MessagingChannel, source: ChannelSettings | { env: Record<string, string | undefined> }): ChannelTransport {
  const settings = "env" in source ? readChannelSettings(source.env) : source;
  switch (channel) {
    case "sms": {
      const sms = settings.sms;
      if (!sms) throw new ChannelNotConfiguredError(channel);
      return sms.provider === "aliyun" ? createAliyunSmsTransport(sms) : createTwilioSmsTransport(sms);
    }
    case "whatsapp":
      if (!settings.whatsapp) throw new ChannelNotConfiguredError(channel);
      return createWhatsAppTransport(settings.whatsapp);
    case "wecom":
      if (!settings.wecom) throw new ChannelNotConfiguredError(channel);
      return createWeComTransport(settings.wecom);
  }
}

/** Which messaging channels these settings can send on. */
export function configuredChannels(settings: ChannelSettings): MessagingChannel[] {
  return MESSAGING_CHANNELS.filter((channel) => settings[channel] !== undefined);
}
