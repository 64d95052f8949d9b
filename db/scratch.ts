import crypto from "node:crypto";
import pg from "pg";

export type ScratchDatabase = { url: string; drop: () => Promise<void> };

/**
 * A fresh database on a Postgres server, for tests and benchmarks, and a way to drop it: empty, or
 * a copy of `template` (a database nobody is connected to, e.g. one already migrated). A server
 * that cannot be reached or refuses `create database` gives an error naming it (password hidden).
 */
export async function createScratchDatabase(serverUrl: string, prefix = "fanout_test", template?: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
    await admin.query(`create database ${name}${template ? ` template ${pg.escapeIdentifier(template)}` : ""}`);
  } catch (error) {
    throw new Error(`Postgres at ${withoutPassword(serverUrl)} is not usable: ${(error as Error).message}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}
