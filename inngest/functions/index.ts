import type { EngineDeps } from "@/lib/sending/batch";
import { sendingConfig, type SendingConfig } from "@/lib/sending/config";
import { RateLimiter } from "@/lib/sending/throttle";
import { getDb } from "@/lib/database";
import { transportFromEnv } from "@/lib/transports";
import { channelTransportsFromEnv } from "@/lib/sending/channel";
import { abTestWinnerFunction } from "./ab-test-winner";
import { automationsFunction } from "./automations";
import { continueTaskFunction } from "./continue-task";
import { deliverWebhooksFunction } from "./deliver-webhooks";
import { importFileFunction } from "./import-file";
import { sendMessageFunction } from "./send-message";
import { reconcileTasksFunction } from "./reconcile-tasks";
import { redactOldDeliveriesFunction } from "./redact-old-deliveries";
import { sendBatchFunction } from "./send-batch";
import { startTaskFunction } from "./start-task";
import type { EngineSource } from "./steps";

export type SendingFunctionOptions = {
  /**
   * The configuration the function options (concurrency, throttle) are derived from. Inngest
   * reads these when the app is synced, so they come from the environment at start-up; the
   * engine calls themselves use the config of `engine()`, which should be the same.
   */
  config?: SendingConfig;
  /**
   * How long one materialise step keeps calling `materializeStep` (one transaction of
   * `config.materializeStep` contacts each) before handing back to Inngest. Every step makes
   * at least one call; 0 means exactly one call per step. Bounds a step's duration (serverless
   * time limits) while keeping a million-contact task well under Inngest's steps-per-run limit.
   */
  materializeBudgetMs?: number;
  /** How long one step of an import reads its file before handing back to Inngest (default 20 s). */
  importBudgetMs?: number;
};

/**
 * The four sending functions over the engine `engine()` gives. Below, the production set
 * (process-wide database, transport from the environment); tests pass their own.
 */
export function createFunctions(engine: EngineSource, options: SendingFunctionOptions = {}) {
  const config = options.config ?? sendingConfig();
  const budgetMs = options.materializeBudgetMs ?? 5_000;
  return {
    taskScheduler: startTaskFunction(engine, budgetMs),
    taskResumed: continueTaskFunction(engine, budgetMs),
    batchSender: sendBatchFunction(engine, config),
    reconciler: reconcileTasksFunction(engine),
    webhookDeliverer: deliverWebhooksFunction(engine),
    messageSender: sendMessageFunction(engine, config),
    importer: importFileFunction(async () => (await engine()).db, options.importBudgetMs ?? 20_000),
    retention: redactOldDeliveriesFunction(engine),
    abTestWinner: abTestWinnerFunction(engine),
    automations: automationsFunction(engine),
  };
}

const shared = globalThis as typeof globalThis & { __fanoutInngestEngine?: Promise<EngineDeps> };

/**
 * The engine the served functions use: the process-wide database, one transport from the
 * environment (an SMTP pool or the Resend client, kept for the life of the process, across
 * hot reloads too) and one rate limiter per process.
 */
function productionEngine(): Promise<EngineDeps> {
  shared.__fanoutInngestEngine ??= getDb()
    .then((db) => ({ db, transport: transportFromEnv(db), channels: channelTransportsFromEnv(process.env, (message) => console.error(`[fanout] ${message}`)), config: sendingConfig(), limiter: new RateLimiter() }))
    .catch((error: unknown) => {
      shared.__fanoutInngestEngine = undefined;
      throw error;
    });
  return shared.__fanoutInngestEngine;
}

/** Everything app/api/inngest serves. */
export const functions = Object.values(createFunctions(productionEngine));
