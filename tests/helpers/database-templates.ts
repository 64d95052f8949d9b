import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { createScratchDatabase } from "@/db/scratch";
import { embeddedPaths, openDatabase } from "@/db/client";

/**
 * Migrated databases that each test file's database starts as a copy of, made once per set of
 * migrations (vitest's globalSetup, tests/helpers/global-setup.ts): building ~70 tables and their
 * indexes took a PGlite open 4–5 s of CPU, and the suite opens about forty of each kind. The
 * migrations still run on every copy; they find it current. Named by a hash of the migrations, so a
 * changed migration makes new templates and a stale one is never used.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const MIGRATIONS = path.join(ROOT, "db", "migrations");
const CACHE = path.join(ROOT, "node_modules", ".cache", "fanout-tests");

/** The environment variables the workers read the templates from. */
const TEMPLATE_ENV = { pglite: "FANOUT_TEST_PGLITE_TEMPLATE", pgdata: "FANOUT_TEST_PGDATA_TEMPLATE", postgres: "FANOUT_TEST_POSTGRES_TEMPLATE" } as const;

function migrationsHash(): string {
  const hash = crypto.createHash("sha256");
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(file);
      else hash.update(path.relative(MIGRATIONS, file)).update("\0").update(fs.readFileSync(file)).update("\0");
    }
  };
  visit(MIGRATIONS);
  const pglite = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@electric-sql", "pglite", "package.json"), "utf8")) as { version: string };
  return hash.update(pglite.version).digest("hex").slice(0, 16);
}

/**
 * An embedded data folder made by the product's own first open (openDatabase migrates it), kept as
 * it is for the servers and CLI processes the tests start on folders of their own (copying it is
 * a fraction of a second), and as a gzipped dump for the in-memory databases. Both are made aside
 * and renamed, so a run that starts meanwhile never reads half of one.
 */
async function pgliteTemplates(hash: string): Promise<{ dump: string; pgdata: string }> {
  const dump = path.join(CACHE, `pglite-${hash}.tar.gz`);
  const pgdata = path.join(CACHE, `pglite-${hash}.pgdata`);
  if (fs.existsSync(dump) && fs.existsSync(pgdata)) return { dump, pgdata };
  const folder = path.join(CACHE, `pglite-${hash}.${process.pid}`);
  try {
    await (await openDatabase({ driver: "pglite", dataDir: folder })).close();
    const { PGlite } = await import("@electric-sql/pglite");
    const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
    const client = await PGlite.create(embeddedPaths(folder).pgdata, { extensions: { pg_trgm } });
    const tarball = await client.dumpDataDir("gzip").finally(() => client.close());
    fs.writeFileSync(`${dump}.${process.pid}`, Buffer.from(await tarball.arrayBuffer()));
    fs.renameSync(`${dump}.${process.pid}`, dump);
    try {
      fs.renameSync(embeddedPaths(folder).pgdata, pgdata);
    } catch {
      // Another run made it meanwhile; theirs serves.
    }
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
  return { dump, pgdata };
}

/** A migrated database on the server that nobody stays connected to: its name. */
async function postgresTemplate(serverUrl: string, hash: string): Promise<string> {
  const name = `fanout_template_${hash}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [name]);
    if (rowCount) return name;
    const scratch = await createScratchDatabase(serverUrl, "fanout_template_new");
    const handle = await openDatabase({ url: scratch.url, driver: "pg" });
    await handle.close();
    const built = new URL(scratch.url).pathname.slice(1);
    try {
      await admin.query(`alter database ${pg.escapeIdentifier(built)} rename to ${pg.escapeIdentifier(name)}`);
    } catch (error) {
      // Another run made it meanwhile: theirs serves, ours goes.
      await scratch.drop();
      if ((error as { code?: string }).code !== "42P04") throw error;
    }
    return name;
  } finally {
    await admin.end();
  }
}

/** Makes the templates this run needs and says where they are (in the environment the workers inherit). */
export async function prepareDatabaseTemplates(): Promise<void> {
  const hash = migrationsHash();
  const { dump, pgdata } = await pgliteTemplates(hash);
  process.env[TEMPLATE_ENV.pglite] = dump;
  process.env[TEMPLATE_ENV.pgdata] = pgdata;
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) process.env[TEMPLATE_ENV.postgres] = await postgresTemplate(serverUrl, hash);
}

let pgliteDump: Blob | undefined;

/** The PGlite template as a Blob, read once per worker; undefined when the run has none (a file run alone without the global setup). */
export function pgliteTemplateBlob(): Blob | undefined {
  const file = process.env[TEMPLATE_ENV.pglite];
  if (!file) return undefined;
  pgliteDump ??= new Blob([fs.readFileSync(file)]);
  return pgliteDump;
}

/** Gives a new embedded data folder the migrated database, as its first start would make it (nothing when the run has no template). */
export function seedEmbeddedDataDir(dataDir: string): void {
  const template = process.env[TEMPLATE_ENV.pgdata];
  const target = embeddedPaths(dataDir).pgdata;
  if (!template || fs.existsSync(target)) return;
  fs.cpSync(template, target, { recursive: true });
}

/** A fresh database on the server for one test file (or crash test), copied from the run's migrated template when it has one. */
export function scratchDatabase(serverUrl: string, prefix: string) {
  return createScratchDatabase(serverUrl, prefix, process.env[TEMPLATE_ENV.postgres]);
}
