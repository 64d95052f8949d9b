import "server-only";
import { readEnv, type FanoutEnv } from "@/lib/config/env";

/** What a group-send client must be told to reach the SMTP entrance (服务器IP), as the console shows it. */
export type EntranceSettings = {
  /** False when FANOUT_GATEWAY_PORT is unset: there is no entrance to point a client at. */
  enabled: boolean;
  /** The host name clients connect to; null when none is configured (the console then says "this server's address"). */
  host: string | null;
  port: number | null;
  /** STARTTLS is offered (a certificate is configured); AUTH then needs it, except from loopback. */
  starttls: boolean;
  maxMessageBytes: number;
};

export function entranceSettings(env: FanoutEnv = readEnv()): EntranceSettings {
  return {
    enabled: env.gatewayPort !== undefined,
    host: env.gateway.host ?? null,
    port: env.gatewayPort ?? null,
    starttls: env.gateway.tlsCertFile !== undefined,
    maxMessageBytes: env.gateway.maxMessageBytes,
  };
}
