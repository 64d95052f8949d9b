/**
 * `npm run worker`: the send engine without the web server (the in-process runner the server starts
 * at boot, and the outgoing-webhook runner beside it). Start any number of them beside the web
 * process on one Postgres (DATABASE_URL): they share tasks through the ledger's claims (FOR UPDATE
 * SKIP LOCKED and a lease per batch), each heartbeats in `engine_workers`, and the batches in flight
 * of one that dies are taken over by the others within seconds. Everything comes from the
 * environment, as for the server; without DATABASE_URL it uses the embedded database in
 * FANOUT_DATA_DIR (owned when no server holds it, else through the server's socket).
 *
 * SIGINT/SIGTERM stop claiming, let the batches in flight be sent and recorded, and exit.
 */
import { readEnv } from "@/lib/config/env";
import { getSecrets } from "@/lib/config/secrets";
import { closeDatabase, getDatabaseHandle } from "@/lib/database";
import { startLocalEngine } from "@/lib/server/boot";

async function main() {
  const env = readEnv();
  if (env.engineMode === "inngest") {
    console.error("worker: Inngest drives the send engine here (INNGEST_EVENT_KEY, INNGEST_DEV or FANOUT_RUNNER=inngest), so a worker has nothing to run; scale with Inngest's concurrency instead, or set FANOUT_RUNNER=local");
    process.exit(2);
  }
  // Unsubscribe and tracking links are signed with the token secret the web server checks them with.
  getSecrets();
  if (env.databaseUrl && !env.tokenSecret) {
    console.log(`[fanout] worker: links are signed with the secret in ${env.dataDir}/secrets.json; on another machine than the web server, set FANOUT_TOKEN_SECRET to the server's`);
  }
  const handle = await getDatabaseHandle({ serveSocket: true });
  const engine = startLocalEngine(handle, "worker");
  console.log(`[fanout] worker started (pid ${process.pid}, transport ${engine.runner.transport.name}, database ${handle.driver})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[fanout] worker ${signal}: finishing the batches in flight`);
    await engine.stop();
    await closeDatabase();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(`worker: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
