import { openDatabase } from "@/db/client";
import { systemActor } from "@/lib/auth/actor";
import { listContacts } from "@/lib/pools/contacts";
import { sql } from "drizzle-orm";
const h = await openDatabase({ url: "postgres://postgres@127.0.0.1:5432/fanout_plan", driver: "pg" });
const ctx = { db: h.db, actor: systemActor("q") };
const pool = { poolId: "00000000-0000-0000-0000-000000000002" };
const cursorRow = (await h.db.execute(sql`select contact_id from pool_members where pool_id = ${pool.poolId} order by contact_id offset 49949 limit 1`)) as unknown as { rows: { contact_id: string }[] };
const cursor = Number(cursorRow.rows[0]!.contact_id);
async function time(label: string, f: () => Promise<{ contacts: unknown[] }>) {
  await f(); await f();
  const xs: number[] = [];
  for (let i = 0; i < 10; i++) { const t = performance.now(); const r = await f(); xs.push(performance.now() - t); if (i === 0) console.log(label, "rows", r.contacts.length); }
  xs.sort((a, b) => a - b);
  console.log(label, "p50", xs[5]!.toFixed(1), "p95", xs[9]!.toFixed(1));
}
await time("page1", () => listContacts(ctx, pool, {}));
await time("page1000", () => listContacts(ctx, pool, { cursor }));
await time("rare", () => listContacts(ctx, pool, { q: "person777777.chen" }));
await time("common", () => listContacts(ctx, pool, { q: "example" }));
await time("cjk", () => listContacts(ctx, pool, { q: "张" }));
await time("city", () => listContacts(ctx, pool, { q: "nairobi" }));
await time("medium", () => listContacts(ctx, pool, { q: "person12345" }));
await time("none", () => listContacts(ctx, pool, { q: "zzzqqq" }));
await h.close();
