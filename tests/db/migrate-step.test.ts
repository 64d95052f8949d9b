/**
 * Migrations as a deploy step (issue 22): a hosted start (FANOUT_HOSTED) against a database that
 * is behind its build refuses, naming `npm run migrate`; that command applies them; and the next
 * hosted start goes up without migrating anything — proven by starting while another session holds
 * the migration lock, which a migrating start would wait on. On the server at TEST_DATABASE_URL, and
 * on the embedded database (whose starts migrate unless asked only to check).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, queryRows } from "@/db/client";
import { createScratchDatabase, type ScratchDatabase } from "@/db/scratch";
import { openDatabaseFromEnv } from "@/lib/database";
import { sql } from "drizzle-orm";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const MIGRATIONS = path.join(ROOT, "db", "migrations");
const JOURNAL = JSON.parse(fs.readFileSync(path.join(MIGRATIONS, "meta", "_journal.json"), "utf8")) as { entries: { tag: string; when: number }[] };
const MIGRATION_COUNT = JOURNAL.entries.length;
const LOCK_KEY = 727_001;
const HOSTED = { FANOUT_HOSTED: "true", AUTH_SECRET: "hosted auth secret", FANOUT_TOKEN_SECRET: "hosted token secret", INNGEST_DEV: "1" };

/** `npm run migrate` as a deploy runs it: its own process, the environment given, nothing else. */
function runMigrate(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "--conditions=react-server", "scripts/migrate.ts"], {
      cwd: ROOT,
      env: { NODE_ENV: "test", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** Runs `body` with these variables in this process's environment (what readEnv reads), then puts them back. */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  set(vars);
  try {
    return await body();
  } finally {
    set(saved);
  }
}

const serverUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!serverUrl)("a hosted start and `npm run migrate` [postgres]", () => {
  let scratch: ScratchDatabase | undefined;
  afterAll(async () => scratch?.drop());

  it("refuses on an unmigrated database, naming the deploy step, and creates nothing", async () => {
    // No template: a database as a new Neon branch is, empty.
    scratch = await createScratchDatabase(serverUrl!, "fanout_migrate_step");
    const start = withEnv({ ...HOSTED, DATABASE_URL: scratch.url }, () => openDatabaseFromEnv());
    await expect(start).rejects.toThrow(/schema is behind this build: \d+ migration\(s\) not applied .*Run `npm run migrate`/);
    await expect(start).rejects.toThrow(new RegExp(`${MIGRATION_COUNT} migration\\(s\\)`));
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      const tables = await client.query("select count(*)::int as n from information_schema.tables where table_schema = 'public'");
      expect(tables.rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });

  it("applies every migration with `npm run migrate`, then says there is nothing left", async () => {
    const first = await runMigrate({ DATABASE_URL: scratch!.url });
    expect(first.output).toContain(`applied ${MIGRATION_COUNT} migration(s)`);
    expect(first.code).toBe(0);
    const again = await runMigrate({ DATABASE_URL: scratch!.url });
    expect(again.output).toContain("is current; nothing to apply");
    expect(again.code).toBe(0);
  }, 60_000);

  it("starts hosted without migrating: it goes up while another session holds the migration lock", async () => {
    const holder = new pg.Client({ connectionString: scratch!.url });
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock($1)", [LOCK_KEY]);
      const handle = await withEnv({ ...HOSTED, DATABASE_URL: scratch!.url }, () => openDatabaseFromEnv());
      try {
        const [company] = await queryRows<{ id: number }>(handle.db, sql`select id from companies`);
        expect(company?.id).toBe(1);
      } finally {
        await handle.close();
      }
      // A self-hosted start (not hosted) still migrates by itself: it waits for the lock.
      const selfHosted = openDatabase({ url: scratch!.url, driver: "pg" });
      const waited = await Promise.race([selfHosted.then(() => "opened"), new Promise((resolve) => setTimeout(() => resolve("waiting"), 1500))]);
      expect(waited).toBe("waiting");
      await holder.query("select pg_advisory_unlock($1)", [LOCK_KEY]);
      await (await selfHosted).close();
    } finally {
      await holder.end();
    }
  });

  it("refuses a build newer than the database, naming the migration it lacks", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-migrations-"));
    try {
      fs.cpSync(MIGRATIONS, dir, { recursive: true });
      const journal = structuredClone(JOURNAL) as { entries: Record<string, unknown>[] };
      journal.entries.push({ ...journal.entries.at(-1), idx: journal.entries.length, when: Date.now(), tag: "9999_next_build" });
      fs.writeFileSync(path.join(dir, "meta", "_journal.json"), JSON.stringify(journal));
      fs.writeFileSync(path.join(dir, "9999_next_build.sql"), "create table next_build (id int);");
      const start = withEnv({ ...HOSTED, DATABASE_URL: scratch!.url, FANOUT_MIGRATIONS_DIR: dir }, () => openDatabaseFromEnv());
      await expect(start).rejects.toThrow(/1 migration\(s\) not applied \(9999_next_build\)\. Run `npm run migrate`/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("an embedded start asked only to check, and `npm run migrate` on the embedded database", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-migrate-embedded-"));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("refuses before the migrations, and leaves the folder free for the command that applies them", async () => {
    await expect(openDatabase({ dataDir, migrations: "check" })).rejects.toThrow(/Run `npm run migrate`/);
    const migrated = await runMigrate({ FANOUT_DATA_DIR: dataDir });
    expect(migrated.output).toContain(`applied ${MIGRATION_COUNT} migration(s) to the embedded database in ${dataDir}`);
    expect(migrated.code).toBe(0);
    const handle = await openDatabase({ dataDir, migrations: "check" });
    await handle.close();
  }, 90_000);
});
