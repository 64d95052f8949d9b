import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type { SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { readEnv } from "@/lib/config/env";
import * as schema from "./schema";
import { migrateDatabase } from "./migrate";

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** Either the database or an open transaction: domain functions accept both. */
export type Executor = Database | Transaction;

export type DriverName = "pglite" | "pglite-socket" | "pg" | "neon";

export type DatabaseHandle = {
  db: Database;
  driver: DriverName;
  close: () => Promise<void>;
};

export type OpenOptions = {
  url?: string;
  driver?: "pglite" | "pg" | "neon";
  /** PGlite's directory parent (FANOUT_DATA_DIR), or "memory://" for a throwaway database. */
  dataDir?: string;
  /** The server owns an embedded database and lets other processes in through a local socket. */
  serveSocket?: boolean;
  /** Limits of that socket (tests shorten them): see db/embedded/socket-server.ts for the defaults. */
  socketLimits?: { idleHoldMs?: number; maxConnections?: number };
};

const SOCKET_PORT = 5432;

export function embeddedPaths(dataDir: string) {
  return {
    pgdata: path.join(dataDir, "pgdata"),
    socketDir: dataDir,
    socketFile: path.join(dataDir, `.s.PGSQL.${SOCKET_PORT}`),
    lockFile: path.join(dataDir, "owner.pid"),
  };
}

/**
 * The one place a driver is chosen: PGlite when there is no URL, node-postgres for
 * postgres://, Neon serverless for Neon hosts or DATABASE_DRIVER=neon. In embedded mode
 * a process first tries the owning server's socket, so the CLI works while the server runs.
 */
export async function openDatabase(options: OpenOptions = {}): Promise<DatabaseHandle> {
  const env = readEnv();
  const url = options.url ?? env.databaseUrl;
  const driver = options.driver ?? (options.url ? driverFor(options.url) : env.databaseDriver);
  if (driver === "pg" && url) return openNodePostgres(url);
  if (driver === "neon" && url) return openNeon(url);
  return openEmbedded(options.dataDir ?? env.dataDir, options.serveSocket ? (options.socketLimits ?? {}) : null);
}

function driverFor(url: string): "pg" | "neon" {
  return /\.neon\.tech\b/i.test(url) ? "neon" : "pg";
}

async function openNodePostgres(url: string): Promise<DatabaseHandle> {
  const { Pool } = await import("pg");
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const pool = new Pool({ connectionString: url, max: 10 });
  // An idle connection the server closes (a restart, an administrator) must not crash the process.
  pool.on("error", (error) => console.error("[fanout] database connection lost:", error.message));
  const db = drizzle(pool, { schema }) as unknown as Database;
  await migrateDatabase(db, "pg", pool);
  return { db, driver: "pg", close: () => pool.end() };
}

async function openNeon(url: string): Promise<DatabaseHandle> {
  const { Pool, neonConfig } = await import("@neondatabase/serverless");
  const { drizzle } = await import("drizzle-orm/neon-serverless");
  if (typeof WebSocket !== "undefined") neonConfig.webSocketConstructor = WebSocket;
  const pool = new Pool({ connectionString: url });
  pool.on("error", (error: Error) => console.error("[fanout] database connection lost:", error.message));
  const db = drizzle(pool, { schema }) as unknown as Database;
  await migrateDatabase(db, "neon", pool as never);
  return { db, driver: "neon", close: () => pool.end() };
}

type SocketLimits = NonNullable<OpenOptions["socketLimits"]>;

async function openEmbedded(dataDir: string, serveSocket: SocketLimits | null): Promise<DatabaseHandle> {
  if (dataDir === "memory://") return openPglite("memory://", undefined, null);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const paths = embeddedPaths(dataDir);
  if (!serveSocket) {
    const viaServer = await connectToOwner(paths);
    if (viaServer) return viaServer;
  }
  for (let attempt = 0; ; attempt++) {
    if (takeOwnership(paths.lockFile)) break;
    // Another process owns the database: it is starting (socket not up yet) or serving.
    const viaServer = await connectToOwner(paths);
    if (viaServer) return viaServer;
    if (attempt >= 50) {
      throw new Error(
        `The embedded database in ${dataDir} is held by process ${readLockPid(paths.lockFile)}, which does not answer on its socket`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return openPglite(paths.pgdata, paths, serveSocket);
}

/**
 * PGlite is one Postgres session. Every way into it, the process's own statements and
 * transactions and each socket client, goes through one gate, so one transaction runs at a time.
 */
async function openPglite(
  dir: string,
  paths: ReturnType<typeof embeddedPaths> | undefined,
  serveSocket: SocketLimits | null,
): Promise<DatabaseHandle> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { Gate, gatedPglite } = await import("./embedded/gate");
  let client;
  try {
    client = await PGlite.create(dir, { extensions: { pg_trgm } });
  } catch (error) {
    if (paths) releaseOwnership(paths.lockFile);
    throw error;
  }
  const gate = new Gate();
  const db = drizzle({ client: gatedPglite(client, gate), schema }) as unknown as Database;
  await migrateDatabase(db, "pglite");
  let stopSocket: (() => Promise<void>) | undefined;
  if (serveSocket && paths) {
    const { startSocketServer } = await import("./embedded/socket-server");
    const server = await startSocketServer({ pglite: client, gate, path: paths.socketFile, ...serveSocket });
    stopSocket = server.stop;
  }
  return {
    db,
    driver: "pglite",
    close: async () => {
      await stopSocket?.();
      await gate.run(() => client.close());
      if (paths) releaseOwnership(paths.lockFile);
    },
  };
}

async function connectToOwner(paths: ReturnType<typeof embeddedPaths>): Promise<DatabaseHandle | null> {
  if (!fs.existsSync(paths.socketFile)) return null;
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = net.connect(paths.socketFile);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
  if (!reachable) return null;
  const { Client } = await import("pg");
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const client = new Client({ host: paths.socketDir, port: SOCKET_PORT, user: "postgres", database: "postgres" });
  // The server drops a client that sits in a transaction too long; the pending query says so, the process must not crash.
  client.on("error", (error) => console.error("[fanout] the server closed the database connection:", error.message));
  await client.connect();
  const db = drizzle(client, { schema }) as unknown as Database;
  return { db, driver: "pglite-socket", close: () => client.end() };
}

function readLockPid(lockFile: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(lockFile, "utf8"), 10);
    return Number.isFinite(pid) ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** PGlite must have one owner: a pid file, taken atomically and reclaimed from dead owners. */
function takeOwnership(lockFile: string): boolean {
  try {
    fs.writeFileSync(lockFile, String(process.pid), { flag: "wx", mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const pid = readLockPid(lockFile);
  if (pid === process.pid) return true;
  if (pid !== null && isAlive(pid)) return false;
  fs.rmSync(lockFile, { force: true });
  try {
    fs.writeFileSync(lockFile, String(process.pid), { flag: "wx", mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}

function releaseOwnership(lockFile: string) {
  if (readLockPid(lockFile) === process.pid) fs.rmSync(lockFile, { force: true });
}

/** Rows of a raw SQL query, whichever driver ran it. */
export async function queryRows<Row>(executor: Executor, query: SQL): Promise<Row[]> {
  const result = (await executor.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}

/** Rows an insert, update or delete touched, whichever driver ran it. */
export function affectedRows(result: unknown): number {
  const value = result as { rowCount?: number | null; affectedRows?: number };
  return Number(value.rowCount ?? value.affectedRows ?? 0);
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
export function getDatabaseHandle(options: OpenOptions = {}): Promise<DatabaseHandle> {
  const state = sharedState();
  state.handle ??= openDatabase(options).catch((error) => {
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
