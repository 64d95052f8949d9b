import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type { SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { driverForUrl, type DatabaseDriver } from "./driver";
import * as schema from "./schema";
import { assertSchemaCurrent, migrateDatabase } from "./migrate";

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

export type SocketOptions = {
  /** The server owns an embedded database and lets other processes in through a local socket. */
  serveSocket?: boolean;
  /** Limits of that socket (tests shorten them): see db/embedded/socket-server.ts for the defaults. */
  socketLimits?: { idleHoldMs?: number; maxConnections?: number };
};

/** What to open; the caller reads it from wherever it keeps settings (lib/database.ts: the environment). */
export type DatabaseSettings = SocketOptions & {
  /** A postgres:// URL; without one, the embedded database in `dataDir`. */
  url?: string;
  /** Chosen from the URL when not given. */
  driver?: DatabaseDriver;
  /** PGlite's directory parent (FANOUT_DATA_DIR), or "memory://" for a throwaway database. */
  dataDir?: string;
  /** Where the SQL migrations are read from; default db/migrations. */
  migrationsDir?: string;
  /**
   * "apply" the migrations on open (default; on a server under an advisory lock), or only "check"
   * that none is pending and refuse otherwise (a hosted start, where `npm run migrate` is the deploy
   * step, and that command's own count of what it is about to apply).
   */
  migrations?: "apply" | "check";
  /**
   * For "memory://": a data directory to start from (PGlite's dumpDataDir), e.g. one already
   * migrated, so the migrations find it current instead of building every table again (tests).
   */
  template?: Blob;
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
 * postgres://, Neon serverless for Neon hosts or driver "neon". In embedded mode
 * a process first tries the owning server's socket, so the CLI works while the server runs.
 */
export async function openDatabase(settings: DatabaseSettings): Promise<DatabaseHandle> {
  const { url, migrationsDir } = settings;
  const driver = settings.driver ?? driverForUrl(url);
  if (!driver) throw new Error(`Not a Postgres URL: ${url}`);
  const migrations = { migrationsDir, check: settings.migrations === "check" };
  if (driver === "pg" && url) return openNodePostgres(url, migrations);
  if (driver === "neon" && url) return openNeon(url, migrations);
  if (!settings.dataDir) throw new Error("An embedded database needs a data directory");
  return openEmbedded(settings.dataDir, migrations, settings.serveSocket ? (settings.socketLimits ?? {}) : null, settings.template);
}

type Migrations = { migrationsDir: string | undefined; check: boolean };

async function openNodePostgres(url: string, { migrationsDir, check }: Migrations): Promise<DatabaseHandle> {
  const { Pool } = await import("pg");
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const pool = new Pool({ connectionString: url, max: 10 });
  // An idle connection the server closes (a restart, an administrator) must not crash the process.
  pool.on("error", (error) => console.error("[fanout] database connection lost:", error.message));
  const db = drizzle(pool, { schema }) as unknown as Database;
  await (check ? assertSchemaCurrent(db, migrationsDir) : migrateDatabase(db, "pg", { pool, migrationsDir })).catch(async (error: unknown) => {
    await pool.end();
    throw error;
  });
  return { db, driver: "pg", close: () => pool.end() };
}

async function openNeon(url: string, { migrationsDir, check }: Migrations): Promise<DatabaseHandle> {
  const { Pool, neonConfig } = await import("@neondatabase/serverless");
  const { drizzle } = await import("drizzle-orm/neon-serverless");
  if (typeof WebSocket !== "undefined") neonConfig.webSocketConstructor = WebSocket;
  const pool = new Pool({ connectionString: url });
  pool.on("error", (error: Error) => console.error("[fanout] database connection lost:", error.message));
  const db = drizzle(pool, { schema }) as unknown as Database;
  await (check ? assertSchemaCurrent(db, migrationsDir) : migrateDatabase(db, "neon", { pool: pool as never, migrationsDir })).catch(async (error: unknown) => {
    await pool.end();
    throw error;
  });
  return { db, driver: "neon", close: () => pool.end() };
}

type SocketLimits = NonNullable<SocketOptions["socketLimits"]>;

async function openEmbedded(dataDir: string, migrations: Migrations, serveSocket: SocketLimits | null, template: Blob | undefined): Promise<DatabaseHandle> {
  if (dataDir === "memory://") return openPglite("memory://", migrations, undefined, null, template);
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
  return openPglite(paths.pgdata, migrations, paths, serveSocket);
}

/**
 * PGlite is one Postgres session. Every way into it, the process's own statements and
 * transactions and each socket client, goes through one gate, so one transaction runs at a time.
 */
async function openPglite(
  dir: string,
  { migrationsDir, check }: Migrations,
  paths: ReturnType<typeof embeddedPaths> | undefined,
  serveSocket: SocketLimits | null,
  template?: Blob,
): Promise<DatabaseHandle> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { Gate, gatedPglite } = await import("./embedded/gate");
  let client;
  try {
    client = await PGlite.create(dir, { extensions: { pg_trgm }, ...(template ? { loadDataDir: template } : {}) });
  } catch (error) {
    if (paths) releaseOwnership(paths.lockFile);
    throw error;
  }
  const gate = new Gate();
  const db = drizzle({ client: gatedPglite(client, gate), schema }) as unknown as Database;
  try {
    await (check ? assertSchemaCurrent(db, migrationsDir) : migrateDatabase(db, "pglite", { migrationsDir }));
  } catch (error) {
    await gate.run(() => client.close());
    if (paths) releaseOwnership(paths.lockFile);
    throw error;
  }
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

/** Whether a process of this machine exists: signal 0 asks only that; EPERM means it does, under another user. */
export function processAlive(pid: number): boolean {
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
  if (pid !== null && processAlive(pid)) return false;
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
