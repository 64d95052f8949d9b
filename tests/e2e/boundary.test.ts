/**
 * The client IP through the real server (`npm start`, scripts/start.mjs): Next alone would take a
 * client's own X-Forwarded-For as its address, so this is proven over a socket, not in-process.
 */
import { spawn } from "node:child_process";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, queryRows } from "@/db/client";
import { ROOT, startServer, type RunningServer } from "../helpers/server";

function fanout(dataDir: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, FANOUT_DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    delete env.VITEST;
    const child = spawn("npm", ["run", "-s", "fanout", "--", ...args], { cwd: ROOT, env: env as NodeJS.ProcessEnv });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`fanout ${args.join(" ")}: ${stderr}`))));
  });
}

describe("the client IP behind the real server", () => {
  let server: RunningServer | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  /** Creates a pool through the API with the given forged headers and returns the IPs the operation log recorded. */
  async function auditedIps(env: Record<string, string>, forged: Record<string, string>[]): Promise<string[]> {
    server = await startServer(env);
    const department = await fanout(server.dataDir, "department", "create", "--name", "Boundary");
    const key = await fanout(server.dataDir, "apikey", "create", "--department", department, "--name", "probe");
    for (const [index, headers] of forged.entries()) {
      const response = await fetch(`${server.url}/api/v1/pools`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
        body: JSON.stringify({ name: `pool ${index}` }),
      });
      expect(response.status).toBe(201);
    }
    const dataDir = server.dataDir;
    await server.stop();
    server = undefined;
    const handle = await openDatabase({ dataDir });
    try {
      const rows = await queryRows<{ ip: string }>(handle.db, sql`select ip from audit_log where action = 'pool.create' order by id`);
      return rows.map((row) => row.ip);
    } finally {
      await handle.close();
    }
  }

  it("records the socket address whatever X-Forwarded-For or X-Fanout-Peer the client sends", async () => {
    const ips = await auditedIps({}, [{ "x-forwarded-for": "6.6.6.6" }, { "x-fanout-peer": "6.6.6.6", "x-real-ip": "7.7.7.7" }, {}]);
    expect(ips).toEqual(["127.0.0.1", "127.0.0.1", "127.0.0.1"]);
  });

  it("records the last untrusted hop when FANOUT_TRUSTED_PROXIES names the proxy in front", async () => {
    const ips = await auditedIps({ FANOUT_TRUSTED_PROXIES: "127.0.0.1/32, ::1/128, 10.0.0.0/8" }, [
      { "x-forwarded-for": "6.6.6.6, 198.51.100.23" },
      { "x-forwarded-for": "6.6.6.6, 198.51.100.24, 10.9.8.7" },
    ]);
    expect(ips).toEqual(["198.51.100.23", "198.51.100.24"]);
  });

  it("answers a malformed session cookie with the sign-in page, never a 500", async () => {
    server = await startServer();
    for (const cookie of ["next-auth.session-token=%E0%A4%A", "next-auth.session-token=garbage.jwt.value"]) {
      const page = await fetch(`${server.url}/`, { headers: { cookie }, redirect: "manual" });
      expect([cookie, page.status]).toEqual([cookie, 307]);
      expect(page.headers.get("location")).toMatch(/\/login$/);
      const session = await fetch(`${server.url}/api/auth/session`, { headers: { cookie } });
      expect(session.status).toBe(200);
    }
  });
});
