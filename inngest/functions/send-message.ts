import { sendChainLink } from "@/lib/sending/batch-chains";
import type { SendingConfig } from "@/lib/sending/config";
import { startTask } from "@/lib/sending/materialize";
import { inngest } from "../client";
import { messageAcceptedEvent } from "../events";
import { cancelOnTask, type EngineSource } from "./steps";

/** A message has at most 100 recipients; more batch turns than this (retries included) means something keeps failing, left to the reconciler. */
const MAX_TURNS = 50;

/**
 * The priority lane under Inngest: a message accepted by POST /api/v1/messages is started and
 * sent by a run of its own, with a concurrency of its own, so it never waits behind a
 * campaign's batch events (which share `task-batch`'s concurrency per transport).
 */
export function sendMessageFunction(engine: EngineSource, config: SendingConfig) {
  return inngest.createFunction(
    { id: "message-sender", name: "Send an API message", triggers: [messageAcceptedEvent], concurrency: [{ limit: Math.max(1, config.concurrency) }], cancelOn: cancelOnTask },
    async ({ event, step }) => {
      const { taskId, scheduledAt } = event.data;
      if (scheduledAt && !Number.isNaN(Date.parse(scheduledAt)) && Date.parse(scheduledAt) > Date.now()) await step.sleepUntil("wait-until-send-at", scheduledAt);
      await step.run("start", async () => startTask((await engine()).db, taskId));
      for (let turn = 0; turn < MAX_TURNS; turn++) {
        const link = await step.run(`send-${turn}`, async () => sendChainLink(await engine(), taskId));
        if (link.next === "none") return { taskId, turns: turn + 1 };
        if (link.next === "retry" && link.retryAt) await step.sleepUntil(`retry-${turn}`, link.retryAt);
      }
      return { taskId, turns: MAX_TURNS };
    },
  );
}
