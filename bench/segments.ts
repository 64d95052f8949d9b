/**
 * The segments benchmark (`npm run bench -- segments [--contacts N]`), issue 17's Done-means 2.
 *
 * On a scratch database of the Postgres server (BENCH_DATABASE_URL, TEST_DATABASE_URL or the local
 * default), created and dropped here: one department with N contacts (default 100,000; the issue's
 * figure is --contacts 1000000) of 5 attributes each, 10 tags with 3 per contact, 20 campaign tasks
 * whose deliveries reach every contact 5 times over 180 days (30% opened, 10% clicked, 3% bounced),
 * and 10 delivery events per contact (opens and clicks, with URLs), all written with
 * `insert … select … generate_series`; each contact's newest first open and click set from its
 * deliveries as tracking keeps them (contacts.latest_open_at / latest_click_at: one update of the
 * engaged contacts, which leaves the table as bloated as a year of tracking would at worst); then
 * VACUUM (FREEZE, ANALYZE), so that every page is marked all-visible as autovacuum leaves a table
 * at rest (a plain VACUUM right after the load left most of contact_tags' pages unmarked, and the
 * tag condition then read the heap instead of its index alone). Measured:
 * - the live count (lib/audiences/segments/evaluate.ts countMatching) of a three-condition rule with
 *   one engagement condition, "city = 上海 and has tag 1 and clicked in the last 90 days": p50/p95 of
 *   30 runs after a warm-up (target p95 < 300 ms);
 * - materialising a task that targets a segment of 20% of the contacts (city = 上海: 200k at 1M)
 *   through lib/sending/materialize.ts's steps, in recipients a second (target ≥ 100,000), beside a
 *   task to a pool of the same contacts (the path every task took before segments).
 */
import { performance } from "node:perf_hooks";
import { eq, sql, type SQL } from "drizzle-orm";
import pg from "pg";
import { openDatabase, queryRows } from "@/db/client";
import { senderDomains } from "@/db/schema";
import { createScratchDatabase } from "@/db/scratch";
import { systemActor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { createDepartment } from "@/lib/accounts/departments";
import { compileRule } from "@/lib/audiences/segments/compile";
import { countMatching } from "@/lib/audiences/segments/evaluate";
import { createSegment, parseRule } from "@/lib/audiences/segments/store";
import { sendingConfig } from "@/lib/sending/config";
import { materializeStep, startTask } from "@/lib/sending/materialize";
import { addDomain } from "@/lib/senders/domains";
import { createSender } from "@/lib/senders/senders";

const DEFAULT_CONTACTS = 100_000;
export const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/test";
const RUNS = 30;
export const TARGETS = { countP95Ms: 300, materializePerSecond: 100_000 };

const log = (message: string) => console.error(`[bench segments] ${message}`);
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

export function contactCount(option: string | undefined): number {
  const text = option ?? process.env.BENCH_CONTACTS;
  if (text === undefined || text === "") return DEFAULT_CONTACTS;
  const count = Number(text.replaceAll("_", ""));
  if (!Number.isSafeInteger(count) || count < 1_000) throw new Error(`--contacts must be a whole number of at least 1000 (got "${text}")`);
  return count;
}

/** The seed, in SQL over generate_series; every value is a literal of this file, not input. */
function seedStatements(departmentId: string, senderId: string, contacts: number): [string, string][] {
  const days = 180;
  return [
    ["settings", "set synchronous_commit = off; set work_mem = '256MB'; set maintenance_work_mem = '1GB'; select setseed(0.17)"],
    [
      "contacts",
      `insert into contacts (department_id, email, name, attributes, status, search_pending)
       select '${departmentId}', 'person' || g || '@bench.example', 'Person ' || g,
         jsonb_build_object('city', (array['上海','北京','广州','深圳','杭州'])[1 + g % 5], 'age', (18 + g % 60)::text,
           'joined', to_char(date '2020-01-01' + (g % 2000), 'YYYY-MM-DD'), 'plan', (array['gold','silver','free'])[1 + g % 3], 'source', 'crm' || (g % 17)),
         case when g % 50 = 0 then 'unsubscribed' else 'active' end, false
       from generate_series(1, ${contacts}) g`,
    ],
    ["tags", `insert into tags (department_id, name) select '${departmentId}', 'tag ' || g from generate_series(1, 10) g`],
    [
      "contact_tags",
      `insert into contact_tags (tag_id, contact_id)
       select t.id, c.id from contacts c join lateral (select id from tags where department_id = '${departmentId}' order by name offset (c.id % 8) limit 3) t on true
       where c.department_id = '${departmentId}'`,
    ],
    [
      "tasks",
      `insert into tasks (department_id, name, template_version, sender_id, status, scheduled_at, materialize_cursor, started_at, finished_at)
       select '${departmentId}', 'Campaign ' || g, 1, '${senderId}', 'completed', now() - (g * ${days / 20} || ' days')::interval, null,
              now() - (g * ${days / 20} || ' days')::interval, now() - (g * ${days / 20} || ' days')::interval from generate_series(1, 20) g`,
    ],
    [
      "deliveries",
      `insert into deliveries (task_id, department_id, contact_id, email, status, sent_at, first_open_at, open_count, first_click_at, click_count, bounced_at)
       select t.id, c.department_id, c.id, c.email,
              case when r < 0.03 then 'failed' else 'delivered' end,
              t.started_at, case when r >= 0.03 and r < 0.33 then t.started_at + interval '2 hours' end, case when r >= 0.03 and r < 0.33 then 1 else 0 end,
              case when r >= 0.03 and r < 0.13 then t.started_at + interval '3 hours' end, case when r >= 0.03 and r < 0.13 then 1 else 0 end,
              case when r < 0.03 then t.started_at + interval '1 hour' end
       from contacts c
       cross join lateral (select id, started_at, random() as r from tasks where department_id = c.department_id order by name offset (c.id % 16) limit 5) t
       where c.department_id = '${departmentId}'`,
    ],
    [
      "delivery_events",
      `insert into delivery_events (delivery_id, department_id, type, source, machine, detail, occurred_at)
       select d.id, d.department_id, case when k % 3 = 0 then 'clicked' else 'opened' end, 'tracking', k % 7 = 0,
              case when k % 3 = 0 then jsonb_build_object('url', 'https://shop.example/p' || (d.id % 50)) else '{}'::jsonb end,
              d.sent_at + (k || ' minutes')::interval
       from deliveries d cross join generate_series(1, 2) k where d.department_id = '${departmentId}'`,
    ],
    [
      "contacts' newest first open and click",
      `update contacts c set latest_open_at = e.opened, latest_click_at = e.clicked
       from (select contact_id, max(first_open_at) as opened, max(first_click_at) as clicked from deliveries
             where department_id = '${departmentId}' and first_open_at is not null group by contact_id) e
       where e.contact_id = c.id`,
    ],
    ["vacuum contacts", "vacuum (freeze, analyze) contacts"],
    ["vacuum contact_tags", "vacuum (freeze, analyze) contact_tags"],
    ["vacuum deliveries", "vacuum (freeze, analyze) deliveries"],
    ["vacuum delivery_events", "vacuum (freeze, analyze) delivery_events"],
  ];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * A task to these pools and segments (with `columns` of its own: an A/B test, send-time
 * optimisation), started and materialised step by step as the engine does: recipients a second.
 * An A/B test's walk stops when its share is written; `afterPause` then lets it go on (the decision).
 */
export async function materializeTask(ctx: Ctx, departmentId: string, senderId: string, poolIds: string[], segmentIds: string[], options: { columns?: SQL; afterPause?: (taskId: string) => Promise<boolean> } = {}) {
  const [task] = await queryRows<{ id: string }>(
    ctx.db,
    sql`insert into tasks (department_id, name, template_version, sender_id, status, scheduled_at, segment_ids, pool_ids)
        values (${departmentId}, 'Materialised', 1, ${senderId}, 'scheduled', now() - interval '1 minute', ${JSON.stringify(segmentIds)}::jsonb, ${JSON.stringify(poolIds)}::jsonb) returning id`,
  );
  if (options.columns) await ctx.db.execute(sql`update tasks set ${options.columns} where id = ${task!.id}`);
  await startTask(ctx.db, task!.id);
  const config = sendingConfig({});
  const started = performance.now();
  let recipients = 0;
  for (;;) {
    const step = await materializeStep(ctx.db, task!.id, config);
    recipients += step.added + step.suppressed;
    if (step.done && !(await options.afterPause?.(task!.id))) break;
  }
  const elapsed = (performance.now() - started) / 1000;
  return { taskId: task!.id, recipients, seconds: round(elapsed, 2), perSecond: Math.round(recipients / elapsed), step: config.materializeStep };
}

/** A scratch database seeded as the module's comment says: its handle, the department and sender, and how long each seed statement took. */
export async function seededDepartment(scratchUrl: string, contacts: number) {
  const handle = await openDatabase({ driver: "pg", url: scratchUrl });
  const ctx: Ctx = { db: handle.db, actor: systemActor("bench") };
  const { id: departmentId } = await createDepartment(ctx, { name: "Segments bench", quotaAllocated: null });
  const domain = await addDomain(ctx, { domain: "news.segments.example.com", departmentId });
  await ctx.db.update(senderDomains).set({ status: "verified", checkedAt: new Date() }).where(eq(senderDomains.id, domain.id));
  const sender = await createSender(ctx, { departmentId, address: `news@${domain.domain}`, name: "Bench" });
  const seedSeconds: Record<string, number> = {};
  const client = new pg.Client({ connectionString: scratchUrl });
  await client.connect();
  try {
    for (const [name, statement] of seedStatements(departmentId, sender.id, contacts)) {
      log(`seeding ${name}`);
      const started = performance.now();
      await client.query(statement);
      seedSeconds[name] = round((performance.now() - started) / 1000);
    }
  } finally {
    await client.end();
  }
  return { handle, ctx, departmentId, sender, seedSeconds };
}

/** A pool of the department's contacts in 上海 (a fifth of them). */
export async function shanghaiPool(ctx: Ctx, departmentId: string): Promise<string> {
  const [pool] = await queryRows<{ id: string }>(ctx.db, sql`insert into pools (department_id, name) values (${departmentId}, '上海') returning id`);
  await ctx.db.execute(sql`insert into pool_members (pool_id, contact_id) select ${pool!.id}, id from contacts where department_id = ${departmentId} and attributes @> '{"city": "上海"}'`);
  await ctx.db.execute(sql`analyze pool_members`);
  return pool!.id;
}

export async function runSegmentsBenchmark(options: { contacts?: string }) {
  const contacts = contactCount(options.contacts);
  const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || DEFAULT_SERVER_URL;
  const scratch = await createScratchDatabase(serverUrl, "fanout_bench_segments");
  const { handle, ctx, departmentId, sender, seedSeconds } = await seededDepartment(scratch.url, contacts);
  try {
    const [events] = await queryRows<{ count: string }>(ctx.db, sql`select count(*)::text as count from delivery_events`);
    const [deliveryRows] = await queryRows<{ count: string }>(ctx.db, sql`select count(*)::text as count from deliveries`);
    const [firstTag] = await queryRows<{ id: string }>(ctx.db, sql`select id from tags where department_id = ${departmentId} order by name limit 1`);

    const rule = parseRule({
      match: "all",
      conditions: [
        { field: "attribute", key: "city", op: "equals", value: "上海" },
        { field: "tag", op: "has", value: firstTag!.id },
        { field: "engagement", op: "did", event: "clicked", days: 90 },
      ],
    });
    if (process.env.BENCH_SEGMENTS_EXPLAIN) {
      const plan = await queryRows<{ "QUERY PLAN": string }>(
        ctx.db,
        sql`explain (analyze, costs off) select count(*) from contacts c where c.department_id = ${departmentId} and ${compileRule(rule, { departmentId })}`,
      );
      log(plan.map((row) => row["QUERY PLAN"]).join("\n"));
    }
    log("timing the live count");
    let matched = await countMatching(ctx.db, departmentId, rule);
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      matched = await countMatching(ctx.db, departmentId, rule);
      times.push(performance.now() - started);
    }

    log("materialising a task to a segment, and one to a pool of the same contacts (the baseline)");
    const segment = await createSegment(ctx, { name: "上海", rule: { match: "all", conditions: [{ field: "attribute", key: "city", op: "equals", value: "上海" }] }, departmentId });
    const poolId = await shanghaiPool(ctx, departmentId);
    const toSegment = await materializeTask(ctx, departmentId, sender.id, [], [segment.id]);
    const toPool = await materializeTask(ctx, departmentId, sender.id, [poolId], []);
    const result = {
      contacts,
      deliveries: Number(deliveryRows!.count),
      events: Number(events!.count),
      seedSeconds,
      count: { rule: "city = 上海 and tag 1 and clicked in the last 90 days", matched, p50Ms: round(percentile(times, 50)), p95Ms: round(percentile(times, 95)), maxMs: round(Math.max(...times)) },
      materialize: toSegment,
      materializePool: toPool,
    };
    return { ...result, targets: TARGETS, met: { countP95: result.count.p95Ms < TARGETS.countP95Ms, materialize: toSegment.perSecond >= TARGETS.materializePerSecond } };
  } finally {
    await handle.close();
    if (process.env.BENCH_SEGMENTS_KEEP) log(`kept ${scratch.url}`);
    else await scratch.drop();
  }
}
