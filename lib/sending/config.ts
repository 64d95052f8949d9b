import "server-only";
import { readEnv, type SendingSettings } from "@/lib/config/env";

type Env = Record<string, string | undefined>;

/** How the engine paces and retries (FANOUT_BATCH_SIZE, FANOUT_LEASE_SECONDS, …: see lib/config/env.ts). */
export type SendingConfig = SendingSettings;

/** The engine's settings from the environment (or from `env`, which tests give), as a copy the caller may change. */
export function sendingConfig(env?: Env): SendingConfig {
  return { ...readEnv(env).sending };
}

/** Delay before the next try after `attempts` answers (exponential, ×4). */
export function retryDelayMs(config: SendingConfig, attempts: number, askedMs?: number): number {
  const backoff = config.retryBaseMs * 4 ** Math.max(0, attempts - 1);
  return Math.max(backoff, askedMs ?? 0);
}
