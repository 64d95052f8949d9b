import fs from "node:fs";
import path from "node:path";
import { sql, type SQL } from "drizzle-orm";
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

type JournalEntry = { idx: number; when: number; tag: string };

/** The migrations of `migrationsDir` the database has not applied, oldest first (drizzle's rule: newer than the last one applied). */
export async function pendingMigrations(db: Database, migrationsDir = MIGRATIONS_FOLDER): Promise<string[]> {
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsDir, "meta", "_journal.json"), "utf8")) as { entries: JournalEntry[] };
  const rows = async <Row>(query: SQL) => ((await db.execute(query)) as unknown as { rows: Row[] }).rows;
  const [table] = await rows<{ present: boolean }>(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
  let lastApplied = -Infinity;
  if (table?.present) {
    const [last] = await rows<{ created_at: string | null }>(sql`select max(created_at)::text as created_at from drizzle.__drizzle_migrations`);
    if (last?.created_at) lastApplied = Number(last.created_at);
  }
  return journal.entries.filter((entry) => entry.when > lastApplied).map((entry) => entry.tag);
}

/** Refuses to go on when a migration is pending, naming the deploy step that applies them (a hosted start migrates nothing itself). */
export async function assertSchemaCurrent(db: Database, migrationsDir?: string): Promise<void> {
  const pending = await pendingMigrations(db, migrationsDir);
  if (pending.length === 0) return;
  throw new SchemaBehindError(pending);
}

export class SchemaBehindError extends Error {
  constructor(readonly pending: string[]) {
    const range = pending.length === 1 ? pending[0] : `${pending[0]} … ${pending.at(-1)}`;
    super(
      `The database schema is behind this build: ${pending.length} migration(s) not applied (${range}). ` +
        "Run `npm run migrate` with this DATABASE_URL (the deploy step), then start again.",
    );
    this.name = "SchemaBehindError";
  }
}
