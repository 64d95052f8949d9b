import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "@/db/client";
import { writeSetting } from "@/lib/accounts/settings";
import { cliActor } from "@/lib/access/actor";
import { ROOT, startServer, type RunningServer } from "../helpers/server";
import { socketClient } from "../helpers/socket-client";

/*
 * Done means #1 of issue 11, on the embedded default: a 20,000-recipient task sends through the
 * in-process runner while the API and a console page are polled and, five times over, eight CLI
 * processes at once write through the server's socket. Nothing may fail, nothing may be lost,
 * and every recipient is sent exactly once.
 */

const RECIPIENTS = 20_000;
const ROUNDS = 5;
const PROCESSES_PER_ROUND = 8;
const ROWS_PER_IMPORT = 2_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type CliResult = { args: string[]; code: number | null; stdout: string; stderr: string };

/** `npm run fanout -- …` without npm in front (the same tsx loader, one process fewer to start). */
function fanout(dataDir: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const env: Record<string, string | undefined> = { ...process.env, FANOUT_DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    delete env.VITEST;
    delete env.NODE_OPTIONS;
    // react-server: lib modules import "server-only", which is empty under that condition, as in Next's server.
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", path.join(ROOT, "cli", "fanout.ts"), ...args], { cwd: ROOT, env: env as NodeJS.ProcessEnv });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ args, code, stdout: stdout.trim(), stderr: stderr.trim() }));
  });
}

function csvOf(addresses: string[]): string {
  return `email,name\n${addresses.map((address, index) => `${address},Reader ${index}`).join("\n")}\n`;
}

describe("the embedded default under concurrency", () => {
  let server: RunningServer | undefined;
  let polling = false;

  afterAll(async () => {
    polling = false;
    await server?.stop();
  });

  it("sends a 20,000-recipient task exactly once while eight CLI processes at a time write through the socket and the console is polled", async () => {
    const began = Date.now();
    const elapsed = () => `${((Date.now() - began) / 1000).toFixed(1)} s`;
    server = await startServer({ FANOUT_RATE_LIMIT_API: "1000000", FANOUT_RATE_LIMIT_PUBLIC: "1000000" });
    const { url, dataDir } = server;
    const cli = (...args: string[]) => fanout(dataDir, ...args);
    const expectOk = (result: CliResult) => {
      expect({ args: result.args, code: result.code, stderr: result.stderr }).toEqual({ args: result.args, code: 0, stderr: "" });
      return result.stdout;
    };

    // The senders' domains are made up: let unverified domains send, as an admin can.
    const settingsHandle = await openDatabase({ dataDir });
    try {
      await writeSetting({ db: settingsHandle.db, actor: cliActor("stress test") }, "requireVerifiedDomains", false);
    } finally {
      await settingsHandle.close();
    }
    const companyKey = expectOk(await cli("apikey", "create", "--company"));
    const api = async <T,>(method: string, route: string, body?: unknown, key = companyKey): Promise<{ status: number; body: T }> => {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as T };
    };
    const createPool = async (name: string, departmentId: string) => {
      const created = await api<{ id: string }>("POST", "/api/v1/pools", { name, departmentId });
      expect(created.status).toBe(201);
      return created.body.id;
    };

    // The task: a department with quota, a sender, a pool of 20,000 imported by the CLI, a template.
    const departmentId = expectOk(await cli("department", "create", "--name", "Stress sending", "--quota", String(RECIPIENTS * 2)));
    const senderId = expectOk(await cli("sender", "create", "--department", departmentId, "--address", "news@stress.example.com", "--name", "Stress"));
    const recipients = Array.from({ length: RECIPIENTS }, (_, index) => `reader${index}@recipients.stress.test`);
    const audienceFile = path.join(dataDir, "audience.csv");
    fs.writeFileSync(audienceFile, csvOf(recipients));
    const audienceId = await createPool("Audience", departmentId);
    expect(JSON.parse(expectOk(await cli("import", "--pool", audienceId, audienceFile)))).toMatchObject({ imported: RECIPIENTS });
    const template = await api<{ id: string }>("POST", "/api/v1/templates", {
      name: "Stress",
      departmentId,
      subject: "Hello {{ name }}",
      html: '<p>Hello {{ name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
    });
    expect(template.status).toBe(201);
    const task = await api<{ id: string; status: string }>("POST", "/api/v1/tasks", { name: "Stress", departmentId, templateId: template.body.id, poolIds: [audienceId], senderId });
    expect(task.status).toBe(201);
    const taskId = task.body.id;
    console.log(`[stress] set up in ${elapsed()}`);

    // The console is watched the whole time: the task's progress, its delivery log, a console page.
    polling = true;
    const pollFailures: string[] = [];
    let polls = 0;
    const poller = (async () => {
      const routes = [`/api/v1/tasks/${taskId}`, `/api/v1/tasks/${taskId}/deliveries`, "/login"];
      while (polling) {
        for (const route of routes) {
          try {
            const response = await fetch(`${url}${route}`, { headers: { authorization: `Bearer ${companyKey}` } });
            await response.arrayBuffer();
            polls++;
            if (response.status !== 200) pollFailures.push(`${route} → ${response.status}`);
          } catch (error) {
            pollFailures.push(`${route} → ${(error as Error).message}`);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    const statusOf = async () => (await api<{ status: string; sent: number }>("GET", `/api/v1/tasks/${taskId}`)).body;
    expect((await statusOf()).status).not.toBe("completed");

    // Five rounds of eight CLI processes at once: two of each kind of write.
    const results: CliResult[] = [];
    const expected = { departments: [] as string[], keys: [] as string[], senders: [] as string[], imports: [] as { poolId: string }[] };
    for (let round = 0; round < ROUNDS; round++) {
      const runs: Promise<CliResult>[] = [];
      for (let slot = 0; slot < PROCESSES_PER_ROUND; slot++) {
        const tag = `r${round}p${slot}`;
        switch (slot % 4) {
          case 0:
            expected.departments.push(`Stress ${tag}`);
            runs.push(cli("department", "create", "--name", `Stress ${tag}`));
            break;
          case 1:
            runs.push(cli("apikey", "create", "--department", departmentId, "--name", tag));
            break;
          case 2:
            expected.senders.push(`${tag}@${tag}.stress.example.com`);
            runs.push(cli("sender", "create", "--department", departmentId, "--address", `${tag}@${tag}.stress.example.com`));
            break;
          default: {
            const poolId = await createPool(`Import ${tag}`, departmentId);
            const file = path.join(dataDir, `${tag}.csv`);
            fs.writeFileSync(file, csvOf(Array.from({ length: ROWS_PER_IMPORT }, (_, index) => `${tag}.${index}@imports.stress.test`)));
            expected.imports.push({ poolId });
            runs.push(cli("import", "--pool", poolId, file));
          }
        }
      }
      const finished = await Promise.all(runs);
      results.push(...finished);
      console.log(`[stress] round ${round + 1} done at ${elapsed()}; task ${JSON.stringify(await statusOf())}`);
    }

    for (const result of results) {
      const out = expectOk(result);
      if (result.args[0] === "department" || result.args[0] === "sender") expect(out).toMatch(UUID);
      else if (result.args[0] === "apikey") expected.keys.push(out);
      else expect(JSON.parse(out)).toMatchObject({ imported: ROWS_PER_IMPORT, duplicates: 0, invalid: [] });
    }
    expect(expected.keys).toHaveLength((ROUNDS * PROCESSES_PER_ROUND) / 4);

    // On a busy 2-core machine the embedded engine sends some 60–100 messages a second.
    const deadline = Date.now() + 480_000;
    while ((await statusOf()).status !== "completed") {
      if (Date.now() > deadline) throw new Error(`the task did not complete: ${JSON.stringify(await statusOf())}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    polling = false;
    await poller;
    console.log(`[stress] task completed at ${elapsed()} after ${polls} polls`);
    expect(pollFailures).toEqual([]);

    // Every row the CLI wrote is there, as a user would find it.
    for (const key of expected.keys) expect((await api("GET", "/api/v1/pools", undefined, key)).status).toBe(200);
    const senders = await api<{ address: string }[]>("GET", "/api/v1/senders");
    expect(senders.body.map((sender) => sender.address)).toEqual(expect.arrayContaining(expected.senders));
    const pools = await api<{ id: string; contactCount: number }[]>("GET", "/api/v1/pools");
    const countOf = new Map(pools.body.map((pool) => [pool.id, pool.contactCount]));
    for (const { poolId } of expected.imports) expect(countOf.get(poolId)).toBe(ROWS_PER_IMPORT);

    const client = await socketClient(dataDir);
    try {
      const departments = await client.query<{ name: string }>("select name from departments");
      expect(departments.rows.map((row) => row.name)).toEqual(expect.arrayContaining(expected.departments));
      const members = await client.query<{ pool_id: string; members: number }>(
        "select pool_id, count(*)::int as members from pool_members where pool_id = any($1::uuid[]) group by pool_id",
        [expected.imports.map((entry) => entry.poolId)],
      );
      expect(members.rows.map((row) => row.members)).toEqual(expected.imports.map(() => ROWS_PER_IMPORT));

      // Each recipient has one delivery, sent, and one message in the outbox.
      const deliveries = await client.query<{ status: string; rows: number; addresses: number }>(
        "select status, count(*)::int as rows, count(distinct email)::int as addresses from deliveries where task_id = $1 group by status",
        [taskId],
      );
      expect(deliveries.rows).toEqual([{ status: "sent", rows: RECIPIENTS, addresses: RECIPIENTS }]);
      const outbox = await client.query<{ messages: number; addresses: number }>(
        "select count(*)::int as messages, count(distinct to_address)::int as addresses from outbox_messages where kind = 'delivery' and to_address like '%@recipients.stress.test'",
      );
      expect(outbox.rows).toEqual([{ messages: RECIPIENTS, addresses: RECIPIENTS }]);
    } finally {
      await client.end();
    }
    expect(await statusOf()).toMatchObject({ status: "completed", sent: RECIPIENTS });
    console.log(`[stress] finished in ${elapsed()}`);
  }, 900_000);
});
