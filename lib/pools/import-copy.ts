import "server-only";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sql, type SQL } from "drizzle-orm";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Executor, Transaction } from "@/db/client";
import type { PreparedContact } from "./import";
import { arrayLiteral } from "./import-tags";

/**
 * How a batch's contacts reach the database before the merge: COPY into a staging table where
 * it pays (node-postgres: COPY FROM STDIN), else one JSON parameter: PGlite (see stagingModeOf),
 * Neon and the embedded database's socket, whose COPY support is not promised.
 */
export type StagingMode = "pg" | "pglite" | "json";

type SessionHolder = { session?: { client?: unknown } };

/** The driver's client behind a drizzle database or transaction (drizzle keeps it on its session). */
function clientOf(db: Executor): unknown {
  return (db as unknown as SessionHolder).session?.client;
}

export function stagingModeOf(db: Executor): StagingMode {
  const client = clientOf(db);
  // A Client on a path is the embedded server's socket (PGlite behind the wire protocol, no COPY);
  // any other Client (a pool's, a test's own) or Pool is a Postgres server.
  if (client instanceof pg.Client) return client.host?.startsWith("/") ? "json" : "pg";
  if (client instanceof pg.Pool) return "pg";
  // PGlite's COPY FROM '/dev/blob' works ("pglite" below, chosen by passing it) but measured no
  // faster than the JSON batches and held more memory (decision 0074), so PGlite keeps JSON.
  return "json";
}

const STAGING_TABLE = sql`import_staging`;

/** The columns a batch's contacts are read from, as JSON (lib/pools/import.ts) or from the staging table, in this order. */
export const STAGED_COLUMNS = sql.raw("email text, name text, attributes jsonb, hygiene text[], suggestion text, tags text[], phone text, consent text[], wecom text");

/**
 * Copies the contacts into a temporary table dropped at the transaction's end, and returns the
 * select the merge reads them from.
 */
export async function stageContacts(tx: Transaction, mode: Exclude<StagingMode, "json">, contacts: PreparedContact[]): Promise<SQL> {
  await tx.execute(sql`create temp table ${STAGING_TABLE} (${STAGED_COLUMNS}) on commit drop`);
  const client = clientOf(tx);
  if (mode === "pg") {
    const stream = (client as pg.PoolClient).query(copyFrom("copy import_staging from stdin"));
    await pipeline(Readable.from(copyLines(contacts)), stream);
  } else {
    const text = [...copyLines(contacts)].join("");
    const query = (client as { query: (text: string, params: unknown[], options: { blob: Blob }) => Promise<unknown> }).query;
    await query.call(client, "copy import_staging from '/dev/blob'", [], { blob: new Blob([text]) });
  }
  return sql`select * from ${STAGING_TABLE}`;
}

const LINES_PER_CHUNK = 1_000;

/** COPY's text format, a thousand rows to a string. */
function* copyLines(contacts: PreparedContact[]): Generator<string> {
  let chunk = "";
  let count = 0;
  for (const contact of contacts) {
    chunk += `${copyText(contact.email)}\t${copyText(contact.name)}\t${copyText(JSON.stringify(contact.attributes))}\t${
      contact.hygiene ? `{${contact.hygiene.join(",")}}` : "\\N"
    }\t${contact.suggestion ? copyText(contact.suggestion) : "\\N"}\t${contact.tags ? copyText(arrayLiteral(contact.tags)) : "\\N"}\t${
      contact.phone ? copyText(contact.phone) : "\\N"
    }\t${contact.consent ? `{${contact.consent.join(",")}}` : "\\N"}\t${contact.wecomUserId ? copyText(contact.wecomUserId) : "\\N"}\n`;
    if (++count === LINES_PER_CHUNK) {
      yield chunk;
      chunk = "";
      count = 0;
    }
  }
  if (chunk) yield chunk;
}

const SPECIAL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** A value in COPY's text format: backslash, tab and line ends escaped. */
export function copyText(value: string): string {
  return value.replace(SPECIAL, (char) => ESCAPES[char]!);
}
