import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { stagingModeOf } from "@/lib/pools/import-copy";

/*
 * The CLI reaches an embedded database the server owns through its socket: node-postgres on a
 * path, with PGlite behind it, which takes no COPY. An import there must stage its rows as JSON;
 * COPY lost the connection ("protocol synchronization was lost") when it was chosen by mistake.
 */
const over = (client: pg.Client | pg.Pool) => drizzle(client) as unknown as Database;

describe("how an import stages its rows", () => {
  it("uses JSON through the embedded server's socket and COPY on a Postgres server", () => {
    expect(stagingModeOf(over(new pg.Client({ host: "/tmp/fanout-data", port: 5432 })))).toBe("json");
    expect(stagingModeOf(over(new pg.Client({ host: "127.0.0.1", port: 5432 })))).toBe("pg");
    expect(stagingModeOf(over(new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:5432/test" })))).toBe("pg");
  });
});
