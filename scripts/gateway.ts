/**
 * `npm run gateway`: the SMTP entrance on its own, for a machine that takes group-send clients'
 * mail without serving the console (the web server starts the same entrance itself when
 * FANOUT_GATEWAY_PORT is set). Everything comes from the environment, as for the server:
 * FANOUT_GATEWAY_PORT (required), the database (DATABASE_URL, or the embedded one in
 * FANOUT_DATA_DIR: owned and served to other processes when no server holds it, else reached
 * through the server's socket), STARTTLS files and bounds (FANOUT_GATEWAY_*).
 *
 * Accepted mail is recorded before the 250; what sends it is the engine's driver: with Inngest the
 * entrance tells it (as the server does), otherwise this process also runs the in-process send
 * runner, so mail goes out even when no web server runs. SIGINT/SIGTERM stop taking connections,
 * let open ones finish (up to 30 s) and the batches in flight be recorded.
 */
import { inngestTaskNotifier } from "@/inngest/notifier";
import { readEnv } from "@/lib/config/env";
import { getSecrets } from "@/lib/config/secrets";
import { closeDatabase, getDatabaseHandle } from "@/lib/database";
import { startEntrance } from "@/lib/gateway/entrance";
import { setTaskNotifier } from "@/lib/dispatch/task-changes";
import { startLocalEngine } from "@/lib/server/boot";

async function main() {
  const env = readEnv();
  if (env.gatewayPort === undefined) {
    console.error("gateway: set FANOUT_GATEWAY_PORT to the port the SMTP entrance listens on (e.g. 2525)");
    process.exit(2);
  }
  // Signed return paths and unsubscribe links need the token secret the server uses.
  getSecrets();
  if (env.engineMode === "inngest") setTaskNotifier(inngestTaskNotifier);
  const handle = await getDatabaseHandle({ serveSocket: true });
  const engine = env.engineMode === "local" ? startLocalEngine(handle, "gateway") : undefined;
  const runner = engine?.runner;
  const entrance = await startEntrance(handle.db, env);
  console.log(`[fanout] ${entrance.summary}`);
  console.log(
    runner ? `[fanout] send runner started in-process (transport ${runner.transport.name}); database ${handle.driver}` : `[fanout] sending is driven by Inngest; database ${handle.driver}`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[fanout] ${signal}: closing the SMTP entrance`);
    await new Promise<void>((resolve) => entrance.server.close(() => resolve()));
    await engine?.stop();
    await closeDatabase();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(`gateway: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
