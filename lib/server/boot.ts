import "server-only";
import { count, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { users } from "@/db/schema";
import { createUser } from "@/lib/accounts/users";
import { systemActor } from "@/lib/access/actor";
import { readEnv } from "@/lib/config/env";
import { getSecrets } from "@/lib/config/secrets";
import { getDatabaseHandle } from "@/lib/database";
import { resumeStaleImports, startUploadSweeper } from "@/lib/pools/import-jobs";
import { startSearchIndexer } from "@/lib/pools/search";
import { startLoginFailurePruning } from "@/lib/auth/sign-in";
import { startEntrance } from "@/lib/gateway/entrance";
import { setTaskNotifier, type TaskNotifier } from "@/lib/sending/dispatch";
import { LocalRunner } from "@/lib/sending/runner";

export type BootOptions = {
  /** How task changes reach Inngest when it drives the engine (inngest/notifier.ts, passed in by instrumentation.ts). */
  inngestNotifier: TaskNotifier;
};

/**
 * Runs once when the server starts: opens the database (owning an embedded one and
 * serving its socket to the CLI), applies migrations, makes sure secrets exist and creates
 * the first admin from the environment when asked to.
 */
export async function bootServer({ inngestNotifier }: BootOptions) {
  getSecrets();
  const env = readEnv();
  if (env.engineMode === "inngest") setTaskNotifier(inngestNotifier);
  const handle = await getDatabaseHandle({ serveSocket: true });
  await ensureFirstAdmin(handle.db);
  startPeriodicWork(handle.db);
  const resumed = await resumeStaleImports(handle.db);
  if (resumed > 0) console.log(`[fanout] resuming ${resumed} interrupted import(s)`);
  if (env.engineMode === "local") {
    const runner = new LocalRunner(handle.db).start();
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

/** The server's housekeeping timers (unref'd, so they never keep the process up); returns one stop for all. */
export function startPeriodicWork(db: Database): () => void {
  const stops = [startSearchIndexer(db), startLoginFailurePruning(db), startUploadSweeper(db)];
  return () => stops.forEach((stop) => stop());
}

export async function ensureFirstAdmin(db: Database) {
  const { adminEmail, adminPassword } = readEnv();
  if (!adminEmail || !adminPassword) return;
  const [admins] = await db.select({ value: count() }).from(users).where(eq(users.role, "admin"));
  if ((admins?.value ?? 0) > 0) return;
  await createUser({ db, actor: systemActor("FANOUT_ADMIN_EMAIL") }, { email: adminEmail, password: adminPassword, role: "admin", name: "Administrator" });
  console.log(`[fanout] created the first admin ${adminEmail}`);
}

export async function hasAnyAdmin(db: Database): Promise<boolean> {
  const [admins] = await db.select({ value: count() }).from(users).where(eq(users.role, "admin"));
  return (admins?.value ?? 0) > 0;
}
