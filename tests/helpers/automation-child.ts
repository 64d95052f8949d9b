/**
 * The automations' engine as a process of its own, for the crash test (tests/db/automations-crash.test.ts):
 *
 *   node --import tsx tests/helpers/automation-child.ts AT   # advance every enrolment due at AT (ISO), until none is, then exit 0
 *
 * One enrolment at a time, each step one transaction, printing "advanced N" after each round, so
 * a test can kill it half-way. The database comes from the environment (DATABASE_URL, or the
 * embedded one in FANOUT_DATA_DIR, which this process then owns). It waits for "go" (child-gate).
 */
import { advanceAutomations } from "@/lib/automations/engine";
import { openDatabaseFromEnv } from "@/lib/database";
import { waitForGo } from "./child-gate";

async function main() {
  const at = new Date(process.argv[2] ?? "");
  if (Number.isNaN(at.getTime())) throw new Error("usage: automation-child.ts AT (an ISO date)");
  await waitForGo();
  const handle = await openDatabaseFromEnv();
  for (;;) {
    const advanced = await advanceAutomations(handle.db, at, { concurrency: 1, limit: 10 });
    console.log(`advanced ${advanced}`);
    if (advanced === 0) break;
  }
  await handle.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(`automation-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(2);
});
