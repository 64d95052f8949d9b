import "server-only";
import { openDatabase, type Database, type DatabaseHandle, type SocketOptions } from "@/db/client";
import { readEnv } from "@/lib/config/env";

/** The database the environment names (DATABASE_URL, DATABASE_DRIVER, FANOUT_DATA_DIR, FANOUT_MIGRATIONS_DIR). */
export function openDatabaseFromEnv(options: SocketOptions & { migrations?: "apply" | "check" } = {}): Promise<DatabaseHandle> {
  const env = readEnv();
  return openDatabase({
    url: env.databaseUrl,
    driver: env.databaseDriver,
    dataDir: env.dataDir,
    migrationsDir: env.migrationsDir,
    // Hosted, `npm run migrate` is the deploy step: a cold start only checks.
    migrations: env.hosted ? "check" : "apply",
    ...options,
  });
}

type Shared = { handle?: Promise<DatabaseHandle> };
const shared = globalThis as typeof globalThis & { __fanoutDatabase?: Shared };

function sharedState(): Shared {
  shared.__fanoutDatabase ??= {};
  return shared.__fanoutDatabase;
}

/**
 * The process-wide database. The server opens it at boot (owning an embedded database and
 * serving its socket); anything else opens it lazily on first use.
 */
export function getDatabaseHandle(socket: SocketOptions = {}): Promise<DatabaseHandle> {
  const state = sharedState();
  state.handle ??= openDatabaseFromEnv(socket).catch((error) => {
    state.handle = undefined;
    throw error;
  });
  return state.handle;
}

export async function getDb(): Promise<Database> {
  return (await getDatabaseHandle()).db;
}

/** Tests and the CLI install a handle they opened themselves. */
export function useDatabaseHandle(handle: DatabaseHandle) {
  sharedState().handle = Promise.resolve(handle);
}

export async function closeDatabase() {
  const state = sharedState();
  const handle = state.handle;
  state.handle = undefined;
  if (handle) await (await handle).close();
}
