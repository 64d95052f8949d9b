import { advanceAutomations } from "@/lib/automations/engine";
import { inngest } from "../client";
import type { EngineSource } from "./steps";

const CRON_EVERY_MINUTE = "* * * * *";
const AT_ONCE = 200;
/** Beyond this the next minute's run goes on: a run stays well under Inngest's steps per run. */
const MAX_STEPS = 100;

/**
 * Every minute: enrols contacts whose date attribute came round and advances every automation
 * enrolment whose step is due (lib/automations/engine.ts), each step one transaction of its own
 * with its ledger row, so a run that dies or runs twice repeats and loses nothing. One run at a
 * time; a wait is an enrolment's due time, so it costs no run while it lasts.
 */
export function automationsFunction(engine: EngineSource) {
  return inngest.createFunction(
    { id: "automation-runner", name: "Advance automations", triggers: [{ cron: CRON_EVERY_MINUTE }], concurrency: { limit: 1 } },
    async ({ step }) => {
      let advanced = 0;
      // A burst (a thousand subscribers at once) is worked through in steps of AT_ONCE until none is due.
      for (let index = 0; index < MAX_STEPS; index++) {
        const some = await step.run(`advance-${index}`, async () => advanceAutomations((await engine()).db, new Date(), { limit: AT_ONCE }));
        advanced += some;
        if (some < AT_ONCE) break;
      }
      return { advanced };
    },
  );
}
