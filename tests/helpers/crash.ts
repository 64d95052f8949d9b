import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase, type Database, type DatabaseHandle } from "@/db/client";
import { scratchDatabase, seedEmbeddedDataDir } from "./database-templates";

/*
 * What the crash tests share (tests/db/sending-crash.test.ts, tests/db/messages-crash.test.ts): a
 * database this process and a child process both use, and children started with `node --import
 * tsx` so that SIGKILL reaches the process that does the work.
 */

export const ROOT = path.resolve(import.meta.dirname, "../..");

export type Shared = {
  name: "postgres" | "pglite";
  /** This process's connection; on PGlite it must be let go of before a child runs. */
  connect: () => Promise<Database>;
  release: () => Promise<void>;
  childEnv: Record<string, string>;
  drop: () => Promise<void>;
};

/** A fresh database on the server at TEST_DATABASE_URL when that is set, else an embedded folder each child owns in turn. */
export async function sharedDatabase(prefix: string): Promise<Shared> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  return serverUrl ? sharedPostgres(serverUrl, prefix) : sharedPglite(prefix);
}

async function sharedPostgres(serverUrl: string, prefix: string): Promise<Shared> {
  const scratch = await scratchDatabase(serverUrl, prefix);
  let handle: DatabaseHandle | undefined;
  return {
    name: "postgres",
    connect: async () => (handle ??= await openDatabase({ url: scratch.url, driver: "pg" })).db,
    release: async () => undefined,
    childEnv: { DATABASE_URL: scratch.url },
    drop: async () => {
      await handle?.close();
      await scratch.drop();
    },
  };
}

function sharedPglite(prefix: string): Shared {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix.replace(/_/g, "-")}-`));
  seedEmbeddedDataDir(dataDir);
  let handle: DatabaseHandle | undefined;
  const release = async () => {
    await handle?.close();
    handle = undefined;
  };
  return {
    name: "pglite",
    connect: async () => (handle ??= await openDatabase({ driver: "pglite", dataDir })).db,
    release,
    childEnv: { FANOUT_DATA_DIR: dataDir },
    drop: async () => {
      await release();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Child = { exited: Promise<number | null>; output: () => string; go: () => void; kill: () => Promise<void> };
/** Children still running, for a test's afterEach to kill. */
export const children = new Set<Child>();

/** Starts `script` (a path under ROOT) with `args`; it waits for "go" on standard input (see tests/helpers/engine-child.ts). */
export function startChild(script: string, env: Record<string, string>, args: string[]): Child {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const name of ["NODE_OPTIONS", "VITEST", "VITEST_POOL_ID", "VITEST_WORKER_ID", "INNGEST_EVENT_KEY", "INNGEST_DEV"]) delete childEnv[name];
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
  // `node --import tsx` runs the script in this one process (the tsx CLI would start another, out of SIGKILL's reach).
  // react-server: lib modules import "server-only", which is empty under that condition, as in Next's server.
  const proc = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", path.join(ROOT, script), ...args], { cwd: ROOT, env: childEnv as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
  let log = "";
  proc.stdin.on("error", () => undefined); // a child that died before its "go"
  proc.stdout.on("data", (chunk) => (log += chunk));
  proc.stderr.on("data", (chunk) => (log += chunk));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const child: Child = {
    exited,
    output: () => log,
    go: () => proc.stdin.write("go\n"),
    kill: async () => {
      proc.kill("SIGKILL");
      await exited;
      children.delete(child);
    },
  };
  children.add(child);
  return child;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
