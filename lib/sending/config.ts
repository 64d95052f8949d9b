type Env = Record<string, string | undefined>;

/** How the engine paces and retries; every number can be set from the environment. */
export type SendingConfig = {
  /** Recipients per claimed batch (capped by the transport's own largest batch). */
  batchSize: number;
  /** Batches one process sends at the same time (local runner). */
  concurrency: number;
  /** How long a claimed batch may stay in flight before the reconciler re-queues it. */
  leaseMs: number;
  /** Transport answers per delivery before a retryable failure becomes final. */
  maxAttempts: number;
  /** First retry delay; each further one is four times longer (1 min, 4 min, 16 min, …). */
  retryBaseMs: number;
  /** Messages per second per transport; 0 means as fast as it goes. */
  transportRatePerSecond: number;
  /** Messages per second per sender domain; 0 means unlimited. */
  domainRatePerSecond: number;
  /** API requests per second to Resend (its default account limit is 2). */
  resendRequestsPerSecond: number;
  /** Contacts examined per materialisation step. */
  materializeStep: number;
  /** How often the local runner looks for work. */
  tickMs: number;
};

function number(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`Invalid environment: ${name} must be a number ≥ ${min} (got "${raw}")`);
  return value;
}

export function sendingConfig(env: Env = process.env): SendingConfig {
  return {
    batchSize: Math.floor(number(env, "FANOUT_BATCH_SIZE", 100, 1)),
    concurrency: Math.floor(number(env, "FANOUT_SEND_CONCURRENCY", 4, 1)),
    leaseMs: number(env, "FANOUT_LEASE_SECONDS", 300, 1) * 1000,
    maxAttempts: Math.floor(number(env, "FANOUT_MAX_ATTEMPTS", 5, 1)),
    retryBaseMs: number(env, "FANOUT_RETRY_BASE_SECONDS", 60, 0) * 1000,
    transportRatePerSecond: number(env, "FANOUT_RATE_PER_SECOND", 0, 0),
    domainRatePerSecond: number(env, "FANOUT_DOMAIN_RATE_PER_SECOND", 0, 0),
    resendRequestsPerSecond: number(env, "RESEND_REQUESTS_PER_SECOND", 2, 0),
    materializeStep: Math.floor(number(env, "FANOUT_MATERIALIZE_STEP", 5000, 1)),
    tickMs: number(env, "FANOUT_RUNNER_TICK_MS", 1000, 10),
  };
}

/** Which driver runs the engine: Inngest when it is configured, else the in-process runner. */
export function engineMode(env: Env = process.env): "inngest" | "local" {
  if (env.FANOUT_RUNNER?.trim() === "local") return "local";
  if (env.FANOUT_RUNNER?.trim() === "inngest") return "inngest";
  return env.INNGEST_EVENT_KEY?.trim() || env.INNGEST_DEV?.trim() ? "inngest" : "local";
}

/** Delay before the next try after `attempts` answers (exponential, ×4). */
export function retryDelayMs(config: SendingConfig, attempts: number, askedMs?: number): number {
  const backoff = config.retryBaseMs * 4 ** Math.max(0, attempts - 1);
  return Math.max(backoff, askedMs ?? 0);
}
