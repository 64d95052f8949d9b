import "server-only";
import type { Database, DatabaseHandle } from "@/db/client";
import type { EngineWorkerKind } from "@/db/schema";
import { createUser } from "@/lib/accounts/users";
import { adminExists, issueSetupToken } from "@/lib/accounts/setup";
import { systemActor } from "@/lib/access/actor";
import { readEnv, type FanoutEnv } from "@/lib/config/env";
import { getSecrets } from "@/lib/config/secrets";
import { getDatabaseHandle } from "@/lib/database";
import { resumeStaleImports } from "@/lib/pools/import-jobs";
import { startUploadSweeper } from "@/lib/pools/import-sweep";
import { startSearchIndexer } from "@/lib/pools/search";
import { startRetentionTimer } from "@/lib/privacy/retention";
import { startLoginFailurePruning } from "@/lib/auth/sign-in";
import { startEntrance } from "@/lib/gateway/entrance";
import { setImportDriver, type ImportDriver } from "@/lib/dispatch/import-runs";
import { setTaskNotifier, type TaskNotifier } from "@/lib/dispatch/task-changes";
import { LocalRunner } from "@/lib/sending/runner";
import { WebhookRunner } from "@/lib/webhooks/runner";

export type BootOptions = {
  /** How task changes reach Inngest when it drives the engine (inngest/notifier.ts, passed in by instrumentation.ts). */
  inngestNotifier: TaskNotifier;
  /** How started imports reach Inngest when it drives the engine (inngest/notifier.ts). */
  inngestImportDriver: ImportDriver;
};

/**
 * Runs once when the server starts: opens the database (owning an embedded one and
 * serving its socket to the CLI), applies migrations, makes sure secrets exist and creates
 * the first admin from the environment when asked to (else prints how to set one up in the browser).
 */
export async function bootServer({ inngestNotifier, inngestImportDriver }: BootOptions) {
  getSecrets();
  const env = readEnv();
  if (env.engineMode === "inngest") {
    setTaskNotifier(inngestNotifier);
    setImportDriver(inngestImportDriver);
  }
  const handle = await getDatabaseHandle({ serveSocket: true });
  await ensureFirstAdmin(handle.db);
  await announceFirstRunSetup(handle.db, env);
  startPeriodicWork(handle.db);
  const resumed = await resumeStaleImports(handle.db);
  if (resumed > 0) console.log(`[fanout] resuming ${resumed} interrupted import(s)`);
  if (env.engineMode === "local") {
    const { runner } = startLocalEngine(handle, "web");
    // Under Inngest its daily cron runs the retention job (inngest/functions/redact-old-deliveries.ts).
    startRetentionTimer(handle.db);
    console.log(`[fanout] send runner started in-process (transport ${runner.transport.name})`);
  } else {
    console.log("[fanout] sending is driven by Inngest (/api/inngest)");
  }
  if (env.gatewayPort !== undefined) {
    const entrance = await startEntrance(handle.db, env);
    console.log(`[fanout] ${entrance.summary}`);
  }
  console.log(`[fanout] database ready (${handle.driver}); data in ${env.dataDir}`);
}

/**
 * The in-process engine: the send runner (heartbeating in `engine_workers` as `kind`) and the
 * outgoing-webhook runner, as the server and `npm run worker` run them. On the embedded database,
 * whose processes all live on this machine, the runner releases its previous life's claims at once.
 * `stop` lets the batches in flight be recorded.
 */
export function startLocalEngine(handle: DatabaseHandle, kind: EngineWorkerKind) {
  const embedded = handle.driver === "pglite" || handle.driver === "pglite-socket";
  const runner = new LocalRunner(handle.db, { presence: { kind, embedded } }).start();
  const webhooks = new WebhookRunner(handle.db).start();
  return { runner, webhooks, stop: () => Promise.all([runner.stop(), webhooks.stop()]).then(() => undefined) };
}

/** The server's housekeeping timers (unref'd, so they never keep the process up); returns one stop for all. */
export function startPeriodicWork(db: Database): () => void {
  const stops = [startSearchIndexer(db), startLoginFailurePruning(db), startUploadSweeper(db)];
  return () => stops.forEach((stop) => stop());
}

export async function ensureFirstAdmin(db: Database) {
  const { adminEmail, adminPassword } = readEnv();
  if (!adminEmail || !adminPassword) return;
  if (await adminExists(db)) return;
  await createUser({ db, actor: systemActor("FANOUT_ADMIN_EMAIL") }, { email: adminEmail, password: adminPassword, role: "admin", name: "Administrator" });
  console.log(`[fanout] created the first admin ${adminEmail}`);
}

export function hasAnyAdmin(db: Database): Promise<boolean> {
  return adminExists(db);
}

/**
 * Without an admin, says how to make the first one in the browser: /setup from this machine, or
 * from anywhere with a one-time setup token printed here (only its hash is stored, and it stops
 * working once an admin exists). With an admin, forgets any token left over.
 */
async function announceFirstRunSetup(db: Database, env: FanoutEnv) {
  const token = await issueSetupToken(db);
  if (!token) return;
  const base = env.publicUrl ?? `http://localhost:${env.port}`;
  console.log(`[fanout] no admin yet: open ${base}/setup in a browser on this machine to create the first one`);
  console.log(`[fanout] from another machine, use the one-time setup link: ${base}/setup?token=${token}`);
}
