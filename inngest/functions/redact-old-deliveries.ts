import { runRetention } from "@/lib/privacy/retention";
import { inngest } from "../client";
import type { EngineSource } from "./steps";

/** Daily at 03:17 UTC, away from the hour when other jobs start. */
const CRON_DAILY = "17 3 * * *";

/**
 * The retention job under Inngest (the local runner's timer does the same, lib/privacy/retention.ts):
 * redacts per-delivery personal data older than the company's setting, in batches that each commit.
 * A run that dies leaves what it did committed; the next run continues from there.
 */
export function redactOldDeliveriesFunction(engine: EngineSource) {
  return inngest.createFunction(
    { id: "personal-data-retention", name: "Redact old delivery personal data", triggers: [{ cron: CRON_DAILY }], concurrency: { limit: 1 } },
    async ({ step }) => step.run("redact", async () => runRetention((await engine()).db)),
  );
}
