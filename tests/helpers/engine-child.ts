/**
 * The send engine as a process of its own, for the crash test (tests/db/sending-crash.test.ts):
 *
 *   node --import tsx tests/helpers/engine-child.ts run        # LocalRunner.start(), until killed
 *   node --import tsx tests/helpers/engine-child.ts finish ID  # … until task ID has ended, then exit 0
 *
 * It creates nothing: the database (DATABASE_URL, or the embedded one in FANOUT_DATA_DIR, which
 * this process then owns), the transport (SMTP_URL or RESEND_API_KEY + RESEND_BASE_URL, and FANOUT_SMS_… for SMS) and the
 * engine's pace (FANOUT_BATCH_SIZE, FANOUT_LEASE_SECONDS, …) come from the environment, as they
 * do for the server. ENGINE_CHILD_SMTP_CONNECTIONS widens the SMTP pool (default five).
 *
 * Once loaded it waits for a line "go" on standard input before it opens the database, so a
 * test can start the next one while the last one still runs (and owns an embedded database).
 * It exits when its standard input closes, so it never outlives the test that started it.
 */
import { eq } from "drizzle-orm";
import { tasks } from "@/db/schema";
import { openDatabaseFromEnv } from "@/lib/database";
import { LocalRunner } from "@/lib/sending/runner";
import { createSmtpTransport } from "@/lib/transports";
import { waitForGo } from "./child-gate";

async function main() {
  const [mode, taskId] = process.argv.slice(2);
  if (mode !== "run" && !(mode === "finish" && taskId)) throw new Error("usage: engine-child.ts run | finish TASK_ID");
  await waitForGo();

  const handle = await openDatabaseFromEnv();
  // Only to keep the test short: a nodemailer connection manages about 20 messages a second
  // against the sink (Nagle's algorithm meets delayed ACKs), so five would take a minute.
  const connections = Number(process.env.ENGINE_CHILD_SMTP_CONNECTIONS ?? "");
  const smtpUrl = process.env.RESEND_API_KEY ? undefined : process.env.SMTP_URL;
  const transport = smtpUrl && connections > 0 ? createSmtpTransport({ url: smtpUrl, maxConnections: connections }) : undefined;
  const runner = new LocalRunner(handle.db, { transport }).start();
  if (mode === "run") return; // sends until SIGKILL

  const deadline = Date.now() + 90_000;
  for (;;) {
    const [task] = await handle.db.select({ status: tasks.status }).from(tasks).where(eq(tasks.id, taskId!));
    if (!task) throw new Error(`task ${taskId} not found`);
    if (!["scheduled", "sending"].includes(task.status)) break;
    if (Date.now() > deadline) throw new Error(`task ${taskId} is still ${task.status} after 90 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await runner.stop();
  await transport?.close();
  await handle.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(`engine-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(2);
});
