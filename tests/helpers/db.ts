import { afterAll, beforeAll, describe } from "vitest";
import { openDatabase, type Database, type DatabaseHandle } from "@/db/client";
import { useDatabaseHandle } from "@/lib/database";
import { pgliteTemplateBlob, scratchDatabase } from "./database-templates";

export type DatabaseTarget = { name: "pglite" | "postgres"; open: () => Promise<DatabaseHandle & { drop: () => Promise<void> }> };

/** PGlite always; the Postgres server at TEST_DATABASE_URL too when it is set (CI sets it). */
export function databaseTargets(): DatabaseTarget[] {
  const targets: DatabaseTarget[] = [
    {
      name: "pglite",
      open: async () => {
        const handle = await openDatabase({ driver: "pglite", dataDir: "memory://", template: pgliteTemplateBlob() });
        return { ...handle, drop: () => handle.close() };
      },
    },
  ];
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) targets.push({ name: "postgres", open: () => openFreshPostgres(serverUrl) });
  return targets;
}

/** Each test file gets a database of its own on the server (a copy of the migrated template when the run made one), dropped afterwards. */
async function openFreshPostgres(serverUrl: string) {
  const scratch = await scratchDatabase(serverUrl, "fanout_test");
  const handle = await openDatabase({ url: scratch.url, driver: "pg" });
  return {
    ...handle,
    drop: async () => {
      await handle.close();
      await scratch.drop();
    },
  };
}

/**
 * Runs a suite once per database target. The suite's `db()` is that target's database,
 * also installed as the process-wide one so server actions and route handlers use it.
 */
export function describeOnDatabases(title: string, suite: (db: () => Database, target: DatabaseTarget["name"]) => void) {
  for (const target of databaseTargets()) {
    describe(`${title} [${target.name}]`, () => {
      let handle: (DatabaseHandle & { drop: () => Promise<void> }) | undefined;
      beforeAll(async () => {
        handle = await target.open();
        useDatabaseHandle(handle);
      });
      afterAll(async () => {
        await handle?.drop();
      });
      suite(() => {
        if (!handle) throw new Error("database not open yet");
        return handle.db;
      }, target.name);
    });
  }
}
