/**
 * POST /api/v1/messages's work in a process of its own, for the crash test (tests/db/messages-crash.test.ts):
 *
 *   node --import tsx tests/helpers/message-child.ts accept        # accepts MESSAGE_REQUEST, prints the answer, waits to be killed
 *   node --import tsx tests/helpers/message-child.ts accept-send   # … with the send engine running in this process too
 *
 * The request is the JSON in MESSAGE_REQUEST, its Idempotency-Key MESSAGE_IDEMPOTENCY_KEY, sent as
 * a company-wide caller; the answer is printed as one line `accepted {json}` once it is committed.
 * Database, transport and the engine's pace come from the environment (see engine-child.ts). Like
 * engine-child.ts it waits for "go" on standard input and exits when that closes.
 */
import { systemActor } from "@/lib/access/actor";
import { sendMessageRequestSchema } from "@/lib/api/schemas/messages";
import { openDatabaseFromEnv } from "@/lib/database";
import { sendMessage } from "@/lib/messages/send";
import { LocalRunner } from "@/lib/sending/runner";
import { waitForGo } from "./child-gate";

async function main() {
  const [mode] = process.argv.slice(2);
  if (mode !== "accept" && mode !== "accept-send") throw new Error("usage: message-child.ts accept | accept-send");
  await waitForGo();

  const handle = await openDatabaseFromEnv();
  if (mode === "accept-send") new LocalRunner(handle.db).start();
  const request = sendMessageRequestSchema.parse(JSON.parse(process.env.MESSAGE_REQUEST ?? "{}"));
  const outcome = await sendMessage({ db: handle.db, actor: systemActor("crash test") }, request, process.env.MESSAGE_IDEMPOTENCY_KEY ?? null);
  process.stdout.write(`accepted ${JSON.stringify({ taskId: outcome.taskId, replayed: outcome.replayed, ...outcome.answer })}\n`);
  // Waits to be killed (or for standard input to close).
}

main().catch((error: unknown) => {
  console.error(`message-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(2);
});
