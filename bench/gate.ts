/**
 * What the embedded database's gate costs: the same single-statement drizzle query (a primary-key
 * lookup) and a three-statement transaction on one in-memory PGlite, through the raw client and
 * through the gated one, in alternating rounds so a busy machine slows both alike. Reports the
 * median latency of each in microseconds and the difference.
 */
import { performance } from "node:perf_hooks";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { Gate, gatedPglite } from "@/db/embedded/gate";

const ROUNDS = 10;
const PER_ROUND = 1_000;

const log = (message: string) => console.error(`[bench gate] ${message}`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const micros = (ms: number) => Number((ms * 1000).toFixed(1));

export async function runGateBenchmark() {
  const client = await PGlite.create("memory://");
  await client.exec("create table probe (id int primary key, value text); insert into probe select n, md5(n::text) from generate_series(1, 1000) n");
  const variants = { raw: drizzle({ client }), gated: drizzle({ client: gatedPglite(client, new Gate()) }) };
  const samples = { raw: { query: [] as number[], transaction: [] as number[] }, gated: { query: [] as number[], transaction: [] as number[] } };
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? (["raw", "gated"] as const) : (["gated", "raw"] as const)) {
      const db = variants[name];
      for (let index = 0; index < PER_ROUND; index++) {
        const started = performance.now();
        await db.execute(sql`select value from probe where id = ${(index % 1000) + 1}`);
        samples[name].query.push(performance.now() - started);
      }
      for (let index = 0; index < PER_ROUND / 10; index++) {
        const started = performance.now();
        await db.transaction(async (tx) => {
          await tx.execute(sql`select value from probe where id = ${(index % 1000) + 1}`);
          await tx.execute(sql`update probe set value = value where id = ${(index % 1000) + 1}`);
          await tx.execute(sql`select count(*) from probe where id < 10`);
        });
        samples[name].transaction.push(performance.now() - started);
      }
    }
    log(`round ${round + 1}/${ROUNDS}`);
  }
  await client.close();
  const report = (name: "raw" | "gated") => ({ queryMedianUs: micros(median(samples[name].query)), transactionMedianUs: micros(median(samples[name].transaction)) });
  const raw = report("raw");
  const gated = report("gated");
  return {
    raw,
    gated,
    queryOverheadUs: Number((gated.queryMedianUs - raw.queryMedianUs).toFixed(1)),
    transactionOverheadUs: Number((gated.transactionMedianUs - raw.transactionMedianUs).toFixed(1)),
  };
}
