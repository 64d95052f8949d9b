import "server-only";
import { readChannelSettings, type ChannelSettings } from "@/lib/channels/env";
import type { MessagingChannel } from "@/lib/channels/types";
import { readEnv } from "@/lib/config/env";
import { AppError } from "@/lib/errors";

/** What the channel webhook routes share: the providers' settings, and the refusals they answer with. */

export function channelSettings(): ChannelSettings {
  return readChannelSettings(process.env);
}

export const notConfigured = (channel: MessagingChannel) => new AppError("not_configured", "channelWebhookNotConfigured", { params: { channel } });
export const signatureMismatch = (channel: MessagingChannel) => new AppError("unauthorized", "channelSignatureMismatch", { params: { channel } });

/**
 * The URL the provider posted to, as it signed it: behind a proxy the request's own URL is the
 * internal one, so FANOUT_PUBLIC_URL (when set) gives the scheme and host.
 */
export function signedUrl(request: Request): string {
  const url = new URL(request.url);
  const publicUrl = readEnv().publicUrl;
  return publicUrl ? `${publicUrl}${url.pathname}${url.search}` : url.toString();
}
