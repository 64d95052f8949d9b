import path from "node:path";
import type { Database } from "./client";
import type { DatabaseDriver } from "./driver";
import { companies } from "./schema";

const MIGRATIONS_FOLDER = path.join(process.cwd(), "db", "migrations");
// Arbitrary constant: several app instances starting at once migrate one after another.
const MIGRATION_LOCK_KEY = 727_001;

type LockablePool = {
  connect: () => Promise<{ query: (text: string, values?: unknown[]) => Promise<unknown>; release: () => void }>;
};

/** Applies the migrations in `migrationsDir` (default db/migrations); with a pool, under an advisory lock. */
export async function migrateDatabase(db: Database, driver: DatabaseDriver, { pool, migrationsDir }: { pool?: LockablePool; migrationsDir?: string } = {}) {
  const config = { migrationsFolder: migrationsDir ?? MIGRATIONS_FOLDER };
  const run = async () => {
    if (driver === "pglite") {
      const { migrate } = await import("drizzle-orm/pglite/migrator");
      await migrate(db as never, config);
    } else if (driver === "pg") {
      const { migrate } = await import("drizzle-orm/node-postgres/migrator");
      await migrate(db as never, config);
    } else {
      const { migrate } = await import("drizzle-orm/neon-serverless/migrator");
      await migrate(db as never, config);
    }
    await db.insert(companies).values({ id: 1 }).onConflictDoNothing();
  };
  if (!pool) return run();
  // The advisory lock belongs to one connection, so hold it on a client of its own.
  const lockClient = await pool.connect();
  try {
    await lockClient.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await run();
  } finally {
    await lockClient.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
    lockClient.release();
  }
}
