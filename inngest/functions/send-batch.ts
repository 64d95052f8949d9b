import type { FailureEventArgs, TimeStr } from "inngest";
import { sendChainLink, type ChainLink } from "@/lib/sending/batch-chains";
import type { SendingConfig } from "@/lib/sending/config";
import { failTask, isTaskUnusable } from "@/lib/sending/lifecycle";
import { inngest } from "../client";
import { TASK_EVENTS, taskBatchEvent, type BatchEventData } from "../events";
import type { EngineSource } from "./steps";

/** Wake a chain a little after its next retry is due, so the retry is due when the run starts. */
const RETRY_WAKE_MARGIN_MS = 1_000;

/** The batch function's concurrency: at most `config.concurrency` batches in flight per transport. */
export function batchConcurrency(config: SendingConfig): [{ key: string; limit: number }] {
  return [{ key: "event.data.transport", limit: config.concurrency }];
}

/**
 * The batch function's throttle, per sender domain, when FANOUT_DOMAIN_RATE_PER_SECOND is set:
 * one run sends one batch, so `domainRatePerSecond / batchSize` runs a second (Inngest wants a
 * whole limit, so a slower rate becomes one run per several seconds). The process-local rate
 * limiter still paces the messages inside a batch.
 */
export function batchThrottle(config: SendingConfig): { key: string; limit: number; period: TimeStr } | undefined {
  if (!(config.domainRatePerSecond > 0)) return undefined;
  const runsPerSecond = config.domainRatePerSecond / config.batchSize;
  if (runsPerSecond >= 1) return { key: "event.data.domain", limit: Math.floor(runsPerSecond), period: "1s" };
  return { key: "event.data.domain", limit: 1, period: `${Math.ceil(config.batchSize / config.domainRatePerSecond)}s` };
}

/**
 * Sends one batch of a task, then asks for the next (a chain per fan-out event), or sleeps in
 * Inngest until the first waiting retry is due, or ends (see sendChainLink).
 */
export function sendBatchFunction(engine: EngineSource, config: SendingConfig) {
  const throttle = batchThrottle(config);
  return inngest.createFunction(
    {
      id: "task-batch",
      name: "Send one batch of a task",
      triggers: [taskBatchEvent],
      concurrency: batchConcurrency(config),
      ...(throttle ? { throttle } : {}),
      // Retries exhausted: when the task itself cannot be sent (template or sender gone), fail it
      // so its waiting recipients are cancelled and their quota comes back; anything else the
      // reconciler restarts later.
      onFailure: async ({ event, error }: FailureEventArgs<{ name: string; data: BatchEventData }>) => {
        if (isTaskUnusable(error)) await failTask((await engine()).db, event.data.event.data.taskId, error.message);
      },
    },
    async ({ event, step, runId }) => {
      const data: BatchEventData = event.data;
      const result = await step.run("send-batch", async (): Promise<ChainLink> => sendChainLink(await engine(), data.taskId));
      if (result.next === "batch") {
        await step.sendEvent("next-batch", { id: `fanout-${runId}-next`, name: TASK_EVENTS.batch, data });
      } else if (result.next === "retry" && result.retryAt) {
        const ts = Math.max(Date.now(), Date.parse(result.retryAt) + RETRY_WAKE_MARGIN_MS);
        await step.sendEvent("wake-at-retry", { id: `fanout-${runId}-retry`, name: TASK_EVENTS.batch, data, ts });
      }
      return result;
    },
  );
}
