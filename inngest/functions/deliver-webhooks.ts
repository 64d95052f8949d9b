import { deliverDueWebhooks } from "@/lib/webhooks/deliver";
import { inngest } from "../client";
import type { EngineSource } from "./steps";

const CRON_EVERY_MINUTE = "* * * * *";
/** Rounds one run makes before the next minute's run takes over (each round is one step). */
const ROUNDS_PER_RUN = 20;

/**
 * Every minute: posts the due webhook messages of the outbox, a round per step, until none is due.
 * The outbox is the ledger (lib/webhooks/deliver.ts): a run that dies leaves leases that run out,
 * so the next run takes the same messages again.
 */
export function deliverWebhooksFunction(engine: EngineSource) {
  return inngest.createFunction(
    { id: "webhook-deliverer", name: "Deliver webhook events", triggers: [{ cron: CRON_EVERY_MINUTE }], concurrency: { limit: 1 } },
    async ({ step }) => {
      const totals = { taken: 0, delivered: 0, retrying: 0, failed: 0 };
      for (let round = 0; round < ROUNDS_PER_RUN; round++) {
        const result = await step.run(`deliver-${round}`, async () => deliverDueWebhooks((await engine()).db));
        for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += result[key];
        if (result.taken === 0) break;
      }
      return totals;
    },
  );
}
