/**
 * Webhook delivery as a process of its own, for tests/db/webhooks-crash.test.ts:
 *
 *   node --conditions=react-server --import tsx tests/helpers/webhook-child.ts   # WebhookRunner.start(), until killed
 *
 * The database comes from the environment (DATABASE_URL, or the embedded one in FANOUT_DATA_DIR,
 * which this process then owns), as for the server. It opens it only after a line "go" on
 * standard input, and exits when its standard input closes, so it never outlives its test.
 */
import { openDatabaseFromEnv } from "@/lib/database";
import { WebhookRunner } from "@/lib/webhooks/runner";
import { waitForGo } from "./child-gate";

async function main() {
  await waitForGo();
  const handle = await openDatabaseFromEnv();
  new WebhookRunner(handle.db, { tickMs: 20 }).start();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
