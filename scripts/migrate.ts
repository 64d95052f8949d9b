/**
 * `npm run migrate`: applies the pending migrations to the database the environment names
 * (DATABASE_URL, else the embedded one in FANOUT_DATA_DIR), under the advisory lock several
 * instances starting at once already share. The deploy step of a hosted installation, whose starts
 * only check that the schema is current (FANOUT_HOSTED); self-hosted and embedded starts keep
 * migrating by themselves, so there it is only needed to migrate before starting.
 */
import { pendingMigrations, SchemaBehindError } from "@/db/migrate";
import { readEnv } from "@/lib/config/env";
import { openDatabaseFromEnv } from "@/lib/database";

async function main() {
  const env = readEnv();
  const where = env.databaseUrl ? `${env.databaseDriver} database` : `embedded database in ${env.dataDir}`;
  // Counted first on a connection that migrates nothing, so the answer says what this run did.
  const before = await openDatabaseFromEnv({ migrations: "check" }).then(
    async (handle) => handle.close().then(() => 0),
    (error: unknown) => (error instanceof SchemaBehindError ? error.pending.length : Promise.reject(error)),
  );
  const handle = await openDatabaseFromEnv({ migrations: "apply" });
  try {
    const left = await pendingMigrations(handle.db, env.migrationsDir);
    if (left.length > 0) throw new Error(`${left.length} migration(s) still pending after migrating: ${left.join(", ")}`);
    console.log(before === 0 ? `[fanout] migrate: the ${where} is current; nothing to apply` : `[fanout] migrate: applied ${before} migration(s) to the ${where}; it is current`);
  } finally {
    await handle.close();
  }
}

main().catch((error: unknown) => {
  console.error(`[fanout] migrate failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
