import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { seedEmbeddedDataDir } from "./database-templates";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export type RunningServer = { url: string; dataDir: string; env: Record<string, string | undefined>; output: () => string; stop: () => Promise<void> };

/**
 * Starts the production server the way `npm start` does, on a free port with its own data folder:
 * `dataDir` as it is, or else a new one holding the migrated database a first start would make
 * (copied from the run's template: the migrations then find it current).
 */
export async function startServer(extraEnv: Record<string, string> = {}, dataDir?: string): Promise<RunningServer> {
  if (!fs.existsSync(path.join(ROOT, ".next", "BUILD_ID"))) {
    throw new Error("No production build: run `npm test` (it builds first) or `npx next build`");
  }
  const port = await freePort();
  const directory = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "fanout-e2e-"));
  if (!dataDir) seedEmbeddedDataDir(directory);
  const env: Record<string, string | undefined> = { ...process.env };
  // The test run's own settings are not the server's: it gets only what extraEnv says.
  for (const key of ["DATABASE_URL", "NODE_OPTIONS", "VITEST", "NODE_ENV"]) delete env[key];
  Object.assign(env, { PORT: String(port), FANOUT_DATA_DIR: directory }, extraEnv);
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, "scripts", "start.mjs")], { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout?.on("data", (chunk) => (log += chunk));
  child.stderr?.on("data", (chunk) => (log += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The server exited early:\n${log}`);
    try {
      const response = await fetch(`${url}/api/v1/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`The server did not answer within 60 s:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    dataDir: directory,
    env,
    output: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      }),
  };
}
