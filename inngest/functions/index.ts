import { getDb } from "@/lib/database";
import type { EngineDeps } from "@/lib/sending/batch";
import { sendingConfig } from "@/lib/sending/config";
import { RateLimiter } from "@/lib/sending/throttle";
import { transportFromEnv } from "@/lib/transports";
import { createFunctions } from "./sending";

export { batchConcurrency, batchThrottle, createFunctions, type EngineSource, type SendingFunctions } from "./sending";

const shared = globalThis as typeof globalThis & { __fanoutInngestEngine?: Promise<EngineDeps> };

/**
 * The engine the served functions use: the process-wide database, one transport from the
 * environment (an SMTP pool or the Resend client, kept for the life of the process, across
 * hot reloads too) and one rate limiter per process.
 */
export function productionEngine(): Promise<EngineDeps> {
  shared.__fanoutInngestEngine ??= getDb()
    .then((db) => ({ db, transport: transportFromEnv(db), config: sendingConfig(), limiter: new RateLimiter() }))
    .catch((error: unknown) => {
      shared.__fanoutInngestEngine = undefined;
      throw error;
    });
  return shared.__fanoutInngestEngine;
}

export const sendingFunctions = createFunctions(productionEngine);

/** Everything app/api/inngest serves. */
export const functions = Object.values(sendingFunctions);
