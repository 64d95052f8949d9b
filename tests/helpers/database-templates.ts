import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { createScratchDatabase } from "@/db/scratch";
import { migrateDatabase } from "@/db/migrate";
import { embeddedPaths, openDatabase, type Database } from "@/db/client";

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
export const TEMPLATE_ENV = { pglite: "FANOUT_TEST_PGLITE_TEMPLATE", pgdata: "FANOUT_TEST_PGDATA_TEMPLATE", postgres: "FANOUT_TEST_POSTGRES_TEMPLATE" } as const;

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

/** A gzipped PGlite data directory with every migration applied: its path. */
async function pgliteTemplate(hash: string): Promise<string> {
  const file = path.join(CACHE, `pglite-${hash}.tar.gz`);
  if (fs.existsSync(file)) return file;
  const { PGlite } = await import("@electric-sql/pglite");
  const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
  const { drizzle } = await import("drizzle-orm/pglite");
  const client = await PGlite.create("memory://", { extensions: { pg_trgm } });
  try {
    await migrateDatabase(drizzle({ client }) as unknown as Database, "pglite");
    const dump = await client.dumpDataDir("gzip");
    fs.mkdirSync(CACHE, { recursive: true });
    // Written aside and renamed, so a run that starts meanwhile never reads half a file.
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(partial, file);
  } finally {
    await client.close();
  }
  return file;
}

/**
 * The same as a data directory on disk, for the servers and CLI processes the tests start on a
 * folder of their own: copying it is a fraction of a second, extracting the dump some seconds.
 */
async function pgdataTemplate(dump: string): Promise<string> {
  const dir = dump.replace(/\.tar\.gz$/, ".pgdata");
  if (fs.existsSync(dir)) return dir;
  const { PGlite } = await import("@electric-sql/pglite");
  const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
  const partial = `${dir}.${process.pid}`;
  const client = await PGlite.create(partial, { extensions: { pg_trgm }, loadDataDir: new Blob([fs.readFileSync(dump)]) });
  await client.close();
  try {
    fs.renameSync(partial, dir);
  } catch {
    // Another run made it meanwhile.
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return dir;
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
  const dump = await pgliteTemplate(hash);
  process.env[TEMPLATE_ENV.pglite] = dump;
  process.env[TEMPLATE_ENV.pgdata] = await pgdataTemplate(dump);
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
