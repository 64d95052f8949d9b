import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, queryRows } from "@/db/client";
import { writeSetting } from "@/lib/accounts/settings";
import { cliActor } from "@/lib/access/actor";
import { ROOT, startServer, type RunningServer } from "../helpers/server";

type CliResult = { code: number | null; stdout: string; stderr: string };

/** Runs `npm run fanout -- …` the way an operator does, in a process of its own. */
function fanout(dataDir: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const env: Record<string, string | undefined> = { ...process.env, FANOUT_DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    delete env.VITEST;
    const child = spawn("npm", ["run", "-s", "fanout", "--", ...args], { cwd: ROOT, env: env as NodeJS.ProcessEnv });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() }));
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("operations CLI on the embedded database", () => {
  let server: RunningServer | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it("works while the server owns the database", async () => {
    // An empty folder of its own (startServer would give a migrated copy): the server's first start makes the database.
    server = await startServer({}, fs.mkdtempSync(path.join(os.tmpdir(), "fanout-cli-first-")));
    expect(await (await fetch(`${server.url}/login`)).text()).toContain('data-testid="no-admin"');
    const department = await fanout(server.dataDir, "department", "create", "--name", "Marketing", "--quota", "2000");
    expect(department.stderr).toBe("");
    expect(department.code).toBe(0);
    expect(department.stdout).toMatch(UUID);

    const admin = await fanout(server.dataDir, "admin", "create", "--email", "ops@fanout.test", "--password", "operator password");
    expect(admin.code).toBe(0);
    expect(admin.stdout).toMatch(UUID);

    const key = await fanout(server.dataDir, "apikey", "create", "--department", department.stdout, "--name", "crm");
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/^fo_[A-Za-z0-9_-]{20,}$/);

    // The server reads what the CLI wrote: with the CLI's admin, its login page stops asking for one.
    const login = await (await fetch(`${server.url}/login`)).text();
    expect(login).not.toContain('data-testid="no-admin"');

    const duplicate = await fanout(server.dataDir, "department", "create", "--name", "marketing");
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toBe('fanout: A department named "marketing" already exists');

    // A pool made over HTTP with the CLI's key, filled by `fanout import` while the server runs.
    const company = await fanout(server.dataDir, "apikey", "create", "--company");
    const created = await fetch(`${server.url}/api/v1/pools`, {
      method: "POST",
      headers: { authorization: `Bearer ${company.stdout}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Newsletter", departmentId: department.stdout }),
    });
    expect(created.status).toBe(201);
    const pool = (await created.json()) as { id: string };
    const csv = path.join(server.dataDir, "list.csv");
    fs.writeFileSync(csv, "email,name,city\nann@example.com,Ann,Beijing\nANN@example.com,Ann again,\nnope,Nope,\n");
    const imported = await fanout(server.dataDir, "import", "--pool", pool.id, csv);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ imported: 1, duplicates: 1, invalid: [{ line: 4, reason: "missing @" }] });
    const listed = await fetch(`${server.url}/api/v1/pools/${pool.id}/contacts`, { headers: { authorization: `Bearer ${company.stdout}` } });
    expect(((await listed.json()) as { contacts: { email: string }[] }).contacts.map((contact) => contact.email)).toEqual(["ann@example.com"]);
    const missingFile = await fanout(server.dataDir, "import", "--pool", pool.id, path.join(server.dataDir, "missing.csv"));
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr.split("\n")[0]).toMatch(/^fanout: cannot read .*missing\.csv$/);

    const unknown = await fanout(server.dataDir, "frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split("\n")[0]).toBe('fanout: unknown command "frobnicate"');
    // Ten CLI processes, each starting tsx: a minute is not enough beside the browser suites.
  }, 150_000);

  it("classifies bounce messages and names the file it cannot read", async () => {
    const eml = path.resolve(ROOT, "../shared/fixtures/bounces/eml");
    if (!fs.existsSync(eml)) {
      if (process.env.CI === "true") throw new Error(`CI=true but the bounce corpus is missing at ${eml}`);
      console.warn(`\n!!! Bounce corpus not found at ${eml}: the bounce classify CLI case is SKIPPED.\n`);
      return;
    }
    const [full, unknown, missing] = ["lhost-amazonses-03.eml", "lhost-qmail-02.eml", "missing.eml"].map((name) => path.join(eml, name));
    const classified = await fanout(fs.mkdtempSync(path.join(os.tmpdir(), "fanout-cli-")), "bounce", "classify", full!, unknown!, missing!);
    expect(classified.code).toBe(1);
    expect(classified.stderr).toBe(`fanout: cannot read ${missing}`);
    expect(classified.stdout.split("\n").map((line) => JSON.parse(line))).toEqual([
      { file: full, category: "mailbox_full", reason: "mailboxfull", hard: true, status: "5.2.2", recipient: "kijitora@example.jp" },
      { file: unknown, category: "user_unknown", reason: "userunknown", hard: true, status: "5.1.1", recipient: "userunknown@example.jp" },
    ]);
  });

  it("creates a department SMTP account, printing its id, and refuses bad input with one line", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-cli-smtp-"));
    const department = await fanout(dataDir, "department", "create", "--name", "Mailers");
    expect(department.code).toBe(0);
    const created = await fanout(dataDir, "smtp-account", "create", "--department", department.stdout, "--username", "Desk@Mailers.example", "--password", "client password 1");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(UUID);

    const duplicate = await fanout(dataDir, "smtp-account", "create", "--department", department.stdout, "--username", "desk@mailers.example", "--password", "client password 2");
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toBe('fanout: "desk@mailers.example" is already taken by another SMTP account');
    const short = await fanout(dataDir, "smtp-account", "create", "--department", department.stdout, "--username", "other", "--password", "short");
    expect(short.code).toBe(1);
    expect(short.stderr).toBe("fanout: The password must have at least 8 characters");
    const unknown = await fanout(dataDir, "smtp-account", "create", "--department", "00000000-0000-4000-8000-000000000000", "--username", "other", "--password", "client password 3");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("fanout: That department does not exist");
    const missing = await fanout(dataDir, "smtp-account", "create", "--department", department.stdout, "--username", "other");
    expect(missing.code).toBe(2);
    expect(missing.stderr.split("\n")[0]).toBe("fanout: --password is required");

    const handle = await openDatabase({ dataDir });
    try {
      const rows = await queryRows<{ id: string; username: string; password_hash: string; department_id: string }>(handle.db, sql`select id, username, password_hash, department_id from smtp_accounts`);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: created.stdout, username: "desk@mailers.example", department_id: department.stdout });
      expect(rows[0]!.password_hash).toMatch(/^\$2[aby]\$/);
      const audit = await queryRows<{ action: string; summary: string }>(handle.db, sql`select action, summary from audit_log order by id`);
      expect(audit.map((row) => row.action)).toEqual(["department.create", "smtp_account.create"]);
      expect(audit[1]!.summary).not.toContain("client password");
    } finally {
      await handle.close();
    }
  }, 150_000);

  it("works when no server is running and leaves the data for the server", async () => {
    const started = await startServer();
    const dataDir = started.dataDir;
    await started.stop();

    const department = await fanout(dataDir, "department", "create", "--name", "Offline", "--quota", "10");
    expect(department.code).toBe(0);
    const company = await fanout(dataDir, "apikey", "create", "--company");
    expect(company.code).toBe(0);
    const limited = await fanout(dataDir, "apikey", "create", "--department", department.stdout, "--name", "slow crm", "--rate-limit", "2");
    expect(limited.code).toBe(0);
    expect(limited.stdout).toMatch(/^fo_[A-Za-z0-9_-]{20,}$/);
    const badRate = await fanout(dataDir, "apikey", "create", "--company", "--rate-limit", "0");
    expect(badRate.code).toBe(2);
    expect(badRate.stderr.split("\n")[0]).toBe('fanout: --rate-limit must be a whole number of requests a minute, at least 1, not "0"');
    // A new installation requires verified domains: the CLI says so and registers nothing, until an admin allows unverified ones.
    const unverified = await fanout(dataDir, "sender", "create", "--department", department.stdout, "--address", "News@Mail.Example.com", "--name", "Newsroom");
    expect(unverified.code).toBe(1);
    expect(unverified.stderr).toBe("fanout: The domain mail.example.com is not verified, and the company requires verified domains");
    const settingsHandle = await openDatabase({ dataDir });
    try {
      await writeSetting({ db: settingsHandle.db, actor: cliActor("test") }, "requireVerifiedDomains", false);
    } finally {
      await settingsHandle.close();
    }
    const sender = await fanout(dataDir, "sender", "create", "--department", department.stdout, "--address", "News@Mail.Example.com", "--name", "Newsroom");
    expect(sender.stderr).toBe("");
    expect(sender.stdout).toMatch(UUID);
    const again = await fanout(dataDir, "sender", "create", "--department", department.stdout, "--address", "news@mail.example.com");
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("fanout: The sender news@mail.example.com already exists");
    const missing = await fanout(dataDir, "apikey", "create");
    expect(missing.code).toBe(2);
    expect(missing.stderr.split("\n")[0]).toBe("fanout: give --department ID or --company");
    const badQuota = await fanout(dataDir, "department", "create", "--name", "X", "--quota", "many");
    expect(badQuota.code).toBe(2);
    expect(badQuota.stderr.split("\n")[0]).toBe('fanout: --quota must be a whole number, not "many"');

    const handle = await openDatabase({ dataDir });
    try {
      const rows = await queryRows<{ name: string; quota_allocated: number }>(handle.db, sql`select name, quota_allocated from departments`);
      expect(rows).toEqual([{ name: "Offline", quota_allocated: 10 }]);
      const audit = await queryRows<{ action: string; operator_label: string }>(handle.db, sql`select action, operator_label from audit_log order by id`);
      expect(audit.map((row) => row.action)).toEqual(["department.create", "apikey.create", "apikey.create", "settings.update", "domain.create", "sender.create"]);
      const keys = await queryRows<{ name: string; rate_limit_per_minute: number | null }>(handle.db, sql`select name, rate_limit_per_minute from api_keys order by created_at`);
      expect(keys).toEqual([
        { name: "", rate_limit_per_minute: null },
        { name: "slow crm", rate_limit_per_minute: 2 },
      ]);
      const senders = await queryRows<{ address: string; domain: string; status: string }>(
        handle.db,
        sql`select s.address, d.domain, d.status from senders s join sender_domains d on d.id = s.domain_id`,
      );
      expect(senders).toEqual([{ address: "news@mail.example.com", domain: "mail.example.com", status: "unverified" }]);
      expect(audit[0]!.operator_label).toMatch(/^command line/);
    } finally {
      await handle.close();
    }
  }, 150_000);
});
