/**
 * The reports benchmark (`npm run bench -- reports [--rows N]`).
 *
 * On a scratch database of the Postgres server (BENCH_DATABASE_URL, TEST_DATABASE_URL or the local
 * default, like the send benchmark), created and dropped here (BENCH_REPORTS_KEEP=1 keeps it, for
 * EXPLAIN): 20 departments with two senders each, ~200 tasks over the last 90 days, N deliveries
 * (default 10,000,000) written with `insert … select … generate_series` (statuses, failure
 * categories, late bounces, complaints, unsubscribes, human and machine opens and clicks, recipient
 * domains with a long tail), then the rollups built from them the way the engine and the feedback
 * ledger fill them (sends on the day they were answered, feedback on the day it came):
 * `delivery_daily` in one `insert … select … group by`, and `delivery_daily_sender` as its sum over
 * recipient domains (what addToRollups writes beside it); the task counters, `task_links`, and
 * VACUUM ANALYZE. Then every report query of lib/reports/queries.ts is timed for today, this week,
 * this month and a custom 90 days, as an admin and as a department user (30 runs after a warm-up),
 * and so is the delivery log's search (lib/reports/delivery-log.ts). Reported: seed times, sizes,
 * p50/p95/max per query, and which miss the 50 ms target.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { eq } from "drizzle-orm";
import pg from "pg";
import { openDatabase, type DatabaseHandle } from "@/db/client";
import { senderDomains } from "@/db/schema";
import { createDepartment } from "@/lib/accounts/departments";
import { systemActor, type Actor } from "@/lib/access/actor";
import { readEnv } from "@/lib/config/env";
import type { Ctx } from "@/lib/access/context";
import { FAILURE_COUNTS, ROLLUP_COUNTS } from "@/lib/deliveries/rollups";
import { resolvePeriod, type ReportRange } from "@/lib/reports/periods";
import type { DeliveryLogFilters } from "@/lib/deliveries/listing";
import type * as DeliveryLog from "@/lib/reports/delivery-log";
import type * as ReportQueries from "@/lib/reports/queries";
import { addDomain } from "@/lib/senders/domains";
import { createSender } from "@/lib/senders/senders";
import { createTemplate } from "@/lib/templates/store";
import { addDays, startOfZonedDay, zonedDate } from "@/lib/time/zone";
import { createScratchDatabase } from "@/db/scratch";

const DEFAULT_ROWS = 10_000_000;
const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/test";
const DEPARTMENTS = 20;
const TASKS = 200;
const DAYS = 90;
/** Messages per second a task goes out at: how long it takes, so how many days its sends cover. */
const SEND_RATE = 150;
const RUNS = 30;
const WARM_UP = 3;
/** A query that is far off the target is not run 30 times: a few runs say enough. */
const TIME_BUDGET_MS = 6_000;

export const TARGETS = { p95Ms: 50 };

const log = (message: string) => console.error(`[bench reports] ${message}`);
const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const seconds = (since: number) => round((performance.now() - since) / 1000, 1);

function rowCount(option: string | undefined): number {
  const text = option ?? process.env.BENCH_ROWS;
  if (text === undefined || text === "") return DEFAULT_ROWS;
  const rows = Number(text.replaceAll("_", ""));
  if (!Number.isSafeInteger(rows) || rows < 1_000) throw new Error(`--rows / BENCH_ROWS must be a whole number of at least 1000 (got "${text}")`);
  return rows;
}

/** A small seeded generator, so two runs plan the same tasks. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// ---------------------------------------------------------------------------------------------
// The scratch database

// ---------------------------------------------------------------------------------------------
// Seeding

type PlannedTask = { n: number; departmentId: string; templateId: string; senderId: string; clientIp: string; size: number; startedAt: string };
type Seeded = { departmentIds: string[]; steps: Record<string, number> };

/** Departments, two senders and a template each, the way the console makes them. */
async function seedAccounts(ctx: Ctx) {
  const made: { departmentId: string; templateId: string; senderIds: string[] }[] = [];
  for (let index = 0; index < DEPARTMENTS; index++) {
    const { id: departmentId } = await createDepartment(ctx, { name: `Department ${String(index + 1).padStart(2, "0")}`, quotaAllocated: null });
    const template = await createTemplate(ctx, { name: "Newsletter", departmentId, subject: "News {{ name }}", html: "<p>Hello {{ name }}</p>" });
    const senderIds: string[] = [];
    for (const host of ["news", "mail"]) {
      // Verified as a passing DNS check would mark it: new installations require verified domains.
      const domain = await addDomain(ctx, { domain: `${host}.dept${index + 1}.example.com`, departmentId });
      await ctx.db.update(senderDomains).set({ status: "verified", checkedAt: new Date() }).where(eq(senderDomains.id, domain.id));
      const sender = await createSender(ctx, { departmentId, address: `${host}@${domain.domain}`, name: "Bench" });
      senderIds.push(sender.id);
    }
    made.push({ departmentId, templateId: template.id, senderIds });
  }
  return made;
}

/**
 * ~200 tasks spread over the last 90 days, sizes from a heavy-tailed spread (a few large
 * newsletters, many small mailings) adding up to `rows`; each department sends from two client
 * IPs (its office and its CRM).
 */
function planTasks(accounts: Awaited<ReturnType<typeof seedAccounts>>, rows: number, now: Date, timeZone: string): PlannedTask[] {
  const random = mulberry32(20261125);
  const count = Math.min(TASKS, Math.max(1, Math.floor(rows / 50)));
  const weights = Array.from({ length: count }, () => Math.exp(1.2 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())));
  const sum = weights.reduce((total, weight) => total + weight, 0);
  const sizes = weights.map((weight) => Math.max(1, Math.floor((weight / sum) * rows)));
  sizes[0]! += rows - sizes.reduce((total, size) => total + size, 0);
  const firstDay = startOfZonedDay(addDays(zonedDate(now, timeZone), -(DAYS - 1)), timeZone).getTime();
  return sizes.map((size, n) => {
    const department = accounts[n % accounts.length]!;
    const duration = (size / SEND_RATE) * 1000;
    // Started so that it has finished by now; the most recent few tasks land today.
    const latest = now.getTime() - duration - 60_000;
    const startedAt = Math.max(firstDay, n < 3 ? latest - random() * 3_600_000 : firstDay + random() * (latest - firstDay));
    return {
      n,
      departmentId: department.departmentId,
      templateId: department.templateId,
      senderId: department.senderIds[Math.floor(random() * 2)]!,
      clientIp: `10.${(n % accounts.length) + 1}.0.${random() < 0.7 ? 10 : 20}`,
      size,
      startedAt: new Date(startedAt).toISOString(),
    };
  });
}

/**
 * One delivery per (task, g): the random draws are made once per row in a fenced subquery
 * (`offset 0`) so every column of a row agrees with the others. About 2% suppressed, 0.5%
 * cancelled, 3% refused at send (user_unknown half, mailbox_full, rejected, other), 1.2% of the
 * accepted bounce later, 85% of the accepted confirmed delivered; opens ~22%, clicks ~3.5% by
 * people, machine opens 8% and clicks 1%; feedback not yet due at `now` has not happened.
 */
const DELIVERIES_SQL = `
insert into deliveries (task_id, department_id, email, status, batch_no, attempts, category, code, enhanced_status, error, provider_id,
  sent_at, delivered_at, bounced_at, complained_at, unsubscribed_at, open_count, first_open_at, machine_open_count,
  click_count, first_click_at, machine_click_count, next_attempt_at, updated_at)
select task_id, department_id, email,
  case when kind in ('suppressed', 'cancelled') then kind
       when kind = 'refused' or bounce_at <= now() then 'failed'
       when bounce_at is null and r3 < 0.85 then 'delivered' else 'sent' end,
  g / 100, case when kind in ('suppressed', 'cancelled') then 0 else 1 end,
  case when kind = 'refused' or bounce_at <= now() then category end,
  case when kind = 'refused' or bounce_at <= now() then case category when 'user_unknown' then 550 when 'mailbox_full' then 552 when 'rejected' then 554 else 451 end end,
  case when kind = 'refused' or bounce_at <= now() then case category when 'user_unknown' then '5.1.1' when 'mailbox_full' then '5.2.2' when 'rejected' then '5.7.1' else '4.4.7' end end,
  case when kind = 'refused' or bounce_at <= now() then case category when 'user_unknown' then '550 5.1.1 <' || email || '>: Recipient address rejected: User unknown'
    when 'mailbox_full' then '552 5.2.2 Mailbox full' when 'rejected' then '554 5.7.1 Message rejected as spam' else '451 4.4.7 Message expired' end end,
  case when kind = 'accepted' and resend then 're_' || md5(email) end,
  sent_at,
  case when kind = 'accepted' and bounce_at is null and r3 < 0.85 then sent_at + r5 * interval '30 seconds' end,
  case when bounce_at <= now() then bounce_at end,
  case when complain_at <= now() then complain_at end,
  case when unsubscribe_at <= now() then unsubscribe_at end,
  case when open_at <= now() then 1 + floor(r9 * 3)::int else 0 end,
  case when open_at <= now() then open_at end,
  case when kind = 'accepted' and r10 < 0.08 then 1 else 0 end,
  case when open_at + r9 * interval '10 minutes' <= now() and r11 < 0.16 then 1 + floor(r12 * 2)::int else 0 end,
  case when open_at + r9 * interval '10 minutes' <= now() and r11 < 0.16 then open_at + r9 * interval '10 minutes' end,
  case when kind = 'accepted' and r10 >= 0.08 and r10 < 0.09 then 1 + floor(r12 * 3)::int else 0 end,
  coalesce(sent_at, started_at), coalesce(sent_at, started_at)
from (
  select *,
    case when kind = 'accepted' and r2 < 0.012 then sent_at + r5 * interval '2 hours' end as bounce_at,
    case when kind = 'accepted' and r6 < 0.0005 then sent_at + r7 * interval '24 hours' end as complain_at,
    case when kind = 'accepted' and r6 >= 0.0005 and r6 < 0.0025 then sent_at + r7 * interval '48 hours' end as unsubscribe_at,
    case when kind = 'accepted' and r2 >= 0.012 and r8 < 0.22 then sent_at + power(r9, 3) * interval '72 hours' end as open_at
  from (
    select t.id as task_id, t.department_id, t.started_at, t.resend, g,
      'u' || g || '.t' || t.n || '@' || case
        when r0 < 0.30 then 'qq.com' when r0 < 0.42 then '163.com' when r0 < 0.47 then '126.com' when r0 < 0.52 then 'gmail.com'
        when r0 < 0.55 then 'sina.com' when r0 < 0.58 then 'outlook.com' when r0 < 0.60 then 'hotmail.com' when r0 < 0.62 then 'foxmail.com'
        when r0 < 0.64 then '139.com' when r0 < 0.65 then 'yahoo.com' when r0 < 0.66 then 'sohu.com' when r0 < 0.67 then 'aliyun.com'
        else 'corp' || floor(5000 * power(r1, 2))::int || '.com.cn' end as email,
      case when r1b < 0.02 then 'suppressed' when r1b < 0.025 then 'cancelled' when r1b < 0.055 then 'refused' else 'accepted' end as kind,
      case when r4 < 0.5 then 'user_unknown' when r4 < 0.65 then 'mailbox_full' when r4 < 0.9 then 'rejected' else 'other' end as category,
      case when r1b >= 0.025 then t.started_at + (g / ${SEND_RATE}.0) * interval '1 second' end as sent_at,
      r2, r3, r5, r6, r7, r8, r9, r10, r11, r12
    from (
      select t.*, g, random() as r0, random() as r1, random() as r1b, random() as r2, random() as r3, random() as r4, random() as r5,
        random() as r6, random() as r7, random() as r8, random() as r9, random() as r10, random() as r11, random() as r12
      from bench_tasks t cross join lateral generate_series(1, t.size) g
      where t.n between $1 and $2
      offset 0
    ) t
  ) x
) y`;

/** The rollup as the engine (sends, on the day answered) and the feedback ledger (on the day it came) would have built it. */
const ROLLUP_SQL = (timeZone: string) => `
insert into delivery_daily (day, department_id, client_ip, sender_domain, recipient_domain, sent, failed, user_unknown, mailbox_full, rejected, other,
  delivered, bounced, complained, unsubscribed, opened, clicked, machine_opened, machine_clicked)
select e.day, d.department_id, t.client_ip, split_part(s.address, '@', 2), split_part(d.email, '@', 2),
  sum(e.sent), sum(e.failed), sum(e.user_unknown), sum(e.mailbox_full), sum(e.rejected), sum(e.other),
  sum(e.delivered), sum(e.bounced), sum(e.complained), sum(e.unsubscribed), sum(e.opened), sum(e.clicked), sum(e.machine_opened), sum(e.machine_clicked)
from deliveries d
join tasks t on t.id = d.task_id
join senders s on s.id = t.sender_id
cross join lateral (values
  -- the answer at send time: accepted (a later bounce included) or refused
  ((d.sent_at at time zone '${timeZone}')::date,
    (d.status <> 'failed' or d.bounced_at is not null)::int, (d.status = 'failed' and d.bounced_at is null)::int,
    (d.status = 'failed' and d.bounced_at is null and d.category = 'user_unknown')::int, (d.status = 'failed' and d.bounced_at is null and d.category = 'mailbox_full')::int,
    (d.status = 'failed' and d.bounced_at is null and d.category = 'rejected')::int, (d.status = 'failed' and d.bounced_at is null and d.category = 'other')::int,
    0, 0, 0, 0, 0, 0, (d.machine_open_count > 0)::int, (d.machine_click_count > 0)::int),
  ((d.delivered_at at time zone '${timeZone}')::date, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0),
  ((d.bounced_at at time zone '${timeZone}')::date, 0, 1, (d.category = 'user_unknown')::int, (d.category = 'mailbox_full')::int,
    (d.category = 'rejected')::int, (d.category = 'other')::int, 0, 1, 0, 0, 0, 0, 0, 0),
  ((d.complained_at at time zone '${timeZone}')::date, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0),
  ((d.unsubscribed_at at time zone '${timeZone}')::date, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0),
  ((d.first_open_at at time zone '${timeZone}')::date, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0),
  ((d.first_click_at at time zone '${timeZone}')::date, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0)
) as e(day, sent, failed, user_unknown, mailbox_full, rejected, other, delivered, bounced, complained, unsubscribed, opened, clicked, machine_opened, machine_clicked)
where e.day is not null and d.sent_at is not null
group by 1, 2, 3, 4, 5`;

/** What addToRollups writes beside each delivery_daily row: the sum over recipient domains. */
const SENDER_ROLLUP_SQL = `
insert into delivery_daily_sender (day, department_id, client_ip, sender_domain, ${ROLLUP_COUNTS.join(", ")})
select day, department_id, client_ip, sender_domain, ${ROLLUP_COUNTS.map((column) => `sum(${column})`).join(", ")}
from delivery_daily
group by 1, 2, 3, 4`;

/** What addToRollups writes beside each delivery_daily row that counts a failure: its failures per day, department and recipient domain. */
const FAILURES_ROLLUP_SQL = `
insert into delivery_daily_failures (day, department_id, recipient_domain, ${FAILURE_COUNTS.join(", ")})
select day, department_id, recipient_domain, ${FAILURE_COUNTS.map((column) => `sum(${column})`).join(", ")}
from delivery_daily
where ${FAILURE_COUNTS.map((column) => `${column} <> 0`).join(" or ")}
group by 1, 2, 3`;

const TASK_COUNTERS_SQL = `
update tasks t set total = c.total, queued = 0, sent = c.sent, delivered = c.delivered, failed = c.failed, suppressed = c.suppressed,
  cancelled = c.cancelled, opened = c.opened, clicked = c.clicked, unsubscribed = c.unsubscribed, bounced = c.bounced, complained = c.complained
from (
  select task_id, count(*) as total,
    count(*) filter (where status in ('sent', 'delivered') or bounced_at is not null) as sent,
    count(*) filter (where delivered_at is not null) as delivered,
    count(*) filter (where status = 'failed') as failed,
    count(*) filter (where status = 'suppressed') as suppressed,
    count(*) filter (where status = 'cancelled') as cancelled,
    count(first_open_at) as opened, count(first_click_at) as clicked, count(unsubscribed_at) as unsubscribed,
    count(bounced_at) as bounced, count(complained_at) as complained
  from deliveries group by task_id
) c
where t.id = c.task_id`;

/** Eight links per task; the first ones are clicked most (clicks by people, unique ones, machines). */
const TASK_LINKS_SQL = `
insert into task_links (task_id, url, clicks, unique_clicks, machine_clicks)
select t.id, 'https://news.example.com/' || to_char(t.created_at, 'YYYY/MM') || '/article-' || k,
  round(t.clicked * 1.4 / k)::int, round(t.clicked * 0.9 / k)::int, round(t.clicked * 0.2 / k)::int
from tasks t cross join generate_series(1, 8) k`;

async function seed(handle: DatabaseHandle, url: string, rows: number, now: Date, timeZone: string): Promise<Seeded & { plannedTasks: PlannedTask[] }> {
  const steps: Record<string, number> = {};
  const ctx: Ctx = { db: handle.db, actor: systemActor("bench") };
  let started = performance.now();
  const accounts = await seedAccounts(ctx);
  steps.accounts = seconds(started);
  const planned = planTasks(accounts, rows, now, timeZone);

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("set synchronous_commit = off; set work_mem = '256MB'; set maintenance_work_mem = '1GB'; select setseed(0.42)");
    started = performance.now();
    await client.query(
      `insert into tasks (department_id, name, template_id, template_version, sender_id, status, scheduled_at, started_at, finished_at, client_ip, created_by, created_at, materialize_cursor)
       select p."departmentId", 'Mailing ' || (p.n + 1), p."templateId", 1, p."senderId", 'completed', p."startedAt", p."startedAt",
              p."startedAt" + (p.size / ${SEND_RATE}.0) * interval '1 second', p."clientIp", 'bench', p."startedAt" - interval '1 hour', null
       from json_to_recordset($1::json) as p(n int, "departmentId" uuid, "templateId" uuid, "senderId" uuid, "clientIp" text, size int, "startedAt" timestamptz)`,
      [JSON.stringify(planned)],
    );
    await client.query(
      `create unlogged table bench_tasks as
       select t.id, t.department_id, t.started_at, p.n, p.size, p.n % 2 = 0 as resend
       from tasks t join json_to_recordset($1::json) as p(n int, size int) on t.name = 'Mailing ' || (p.n + 1)`,
      [JSON.stringify(planned.map(({ n, size }) => ({ n, size })))],
    );
    steps.tasks = seconds(started);

    // Bulk load without the secondary indexes and the foreign key, then build them once.
    const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
      "select indexname, indexdef from pg_indexes where tablename = 'deliveries' and indexname <> 'deliveries_pkey'",
    );
    const { rows: foreignKeys } = await client.query<{ conname: string; def: string }>(
      "select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'deliveries'::regclass and contype = 'f'",
    );
    for (const index of indexes) await client.query(`drop index ${index.indexname}`);
    for (const key of foreignKeys) await client.query(`alter table deliveries drop constraint ${key.conname}`);

    started = performance.now();
    const chunk = 10;
    let written = 0;
    for (let first = 0; first < planned.length; first += chunk) {
      const result = await client.query(DELIVERIES_SQL, [first, first + chunk - 1]);
      written += result.rowCount ?? 0;
      log(`deliveries: ${written.toLocaleString("en")} of ${rows.toLocaleString("en")} (${seconds(started)} s)`);
    }
    steps.deliveries = seconds(started);

    started = performance.now();
    for (const index of indexes) await client.query(index.indexdef);
    for (const key of foreignKeys) await client.query(`alter table deliveries add constraint ${key.conname} ${key.def}`);
    steps.deliveryIndexes = seconds(started);
    log(`indexes rebuilt (${steps.deliveryIndexes} s)`);

    started = performance.now();
    await client.query(ROLLUP_SQL(timeZone));
    steps.rollup = seconds(started);
    log(`delivery_daily built (${steps.rollup} s)`);

    started = performance.now();
    await client.query(SENDER_ROLLUP_SQL);
    steps.senderRollup = seconds(started);
    log(`delivery_daily_sender built (${steps.senderRollup} s)`);

    started = performance.now();
    await client.query(FAILURES_ROLLUP_SQL);
    steps.failuresRollup = seconds(started);
    log(`delivery_daily_failures built (${steps.failuresRollup} s)`);

    started = performance.now();
    await client.query(TASK_COUNTERS_SQL);
    await client.query(TASK_LINKS_SQL);
    await client.query("drop table bench_tasks");
    steps.taskCountersAndLinks = seconds(started);

    started = performance.now();
    await client.query("vacuum (analyze)");
    steps.vacuumAnalyze = seconds(started);
    log(`vacuum analyze (${steps.vacuumAnalyze} s)`);
  } finally {
    await client.end();
  }
  return { departmentIds: accounts.map((account) => account.departmentId), steps, plannedTasks: planned };
}

// ---------------------------------------------------------------------------------------------
// Measuring

type Timing = { p50Ms: number; p95Ms: number; maxMs: number; runs: number };

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
}

async function time(run: () => Promise<unknown>): Promise<Timing> {
  for (let index = 0; index < WARM_UP; index++) await run();
  const samples: number[] = [];
  const budgetEnds = performance.now() + TIME_BUDGET_MS;
  while (samples.length < RUNS && (samples.length < 5 || performance.now() < budgetEnds)) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { p50Ms: round(percentile(samples, 0.5), 2), p95Ms: round(percentile(samples, 0.95), 2), maxMs: round(samples.at(-1)!, 2), runs: samples.length };
}

function actors(departmentId: string): Record<"admin" | "department", Actor> {
  return {
    admin: { kind: "user", id: "bench-admin", label: "bench admin", role: "admin", departmentId: null, readable: "all", ip: "" },
    department: { kind: "user", id: "bench-department", label: "bench department", role: "department", departmentId, readable: [departmentId], ip: "" },
  };
}

function reportQueries(q: typeof ReportQueries): Record<string, (ctx: Ctx, range: ReportRange) => Promise<unknown>> {
  return {
    sendReport: q.sendReport,
    failureReportBySender: (ctx, range) => q.failureReport(ctx, range, "sender"),
    failureReportByRecipient: (ctx, range) => q.failureReport(ctx, range, "recipient"),
    sendsPerDay: q.sendsPerDay,
    failureCategoriesPerDay: q.failureCategoriesPerDay,
    engagementPerDay: q.engagementPerDay,
    reportSummary: q.reportSummary,
  };
}

type Measured = Timing & { rows?: number; windowed?: boolean };
type Timings = Record<string, Record<string, Record<string, Measured>>>;

function reportRanges(now: Date, timeZone: string): Record<string, ReportRange> {
  const today = zonedDate(now, timeZone);
  return {
    today: resolvePeriod({ period: "today" }, now, timeZone),
    this_week: resolvePeriod({ period: "this_week" }, now, timeZone),
    this_month: resolvePeriod({ period: "this_month" }, now, timeZone),
    custom_90_days: resolvePeriod({ period: "custom", from: addDays(today, -(DAYS - 1)), to: today }, now, timeZone),
  };
}

async function loadReports() {
  return { queries: await import("@/lib/reports/queries"), deliveryLog: await import("@/lib/reports/delivery-log") };
}

/** Each report query × period × caller with the rows it answered, and the task report. */
async function measureReports(
  handle: DatabaseHandle,
  q: typeof ReportQueries,
  departmentId: string,
  taskIds: { admin: string; department: string },
  ranges: Record<string, ReportRange>,
): Promise<Timings> {
  const who = Object.entries(actors(departmentId));
  const results: Timings = {};
  for (const [name, query] of Object.entries(reportQueries(q))) {
    results[name] = {};
    for (const [period, range] of Object.entries(ranges)) {
      results[name][period] = {};
      for (const [role, actor] of who) {
        const ctx: Ctx = { db: handle.db, actor };
        const answer = await query(ctx, range);
        const rows = answer && typeof answer === "object" && "rows" in answer ? (answer as { rows: unknown[] }).rows.length : undefined;
        results[name][period][role] = { ...(await time(() => query(ctx, range))), ...(rows !== undefined ? { rows } : {}) };
        log(`${name} ${period} ${role}: p95 ${results[name][period][role].p95Ms} ms`);
      }
    }
  }
  const task: Record<string, Measured> = {};
  for (const [role, actor] of who) {
    const ctx: Ctx = { db: handle.db, actor };
    task[role] = await time(() => q.taskReport(ctx, taskIds[role as "admin" | "department"]));
    log(`taskReport ${role}: p95 ${task[role].p95Ms} ms`);
  }
  return { ...results, taskReport: { task } };
}

/** The delivery log's first page for the filters people use most, with the rows it answered. */
async function measureDeliveryLog(
  handle: DatabaseHandle,
  { searchDeliveries, DELIVERY_LOG_PAGE_SIZE }: typeof DeliveryLog,
  departmentId: string,
  taskId: string,
  sampleEmail: string,
  taskFirstDay: string,
  now: Date,
  timeZone: string,
): Promise<Timings[string]> {
  const today = zonedDate(now, timeZone);
  const cases: Record<string, DeliveryLogFilters> = {
    newest: {},
    exactAddress: { q: sampleEmail },
    partOfAddress: { q: "corp42" },
    failed: { status: "failed" },
    userUnknown: { category: "user_unknown" },
    lastWeekDays: { from: addDays(today, -7), to: addDays(today, -1) },
    // A past day with filters no index serves: the window counts rows of that day only.
    lastWeekFailed: { from: addDays(today, -7), to: addDays(today, -7), status: "failed" },
    monthAgoPartOfAddress: { from: addDays(today, -30), to: addDays(today, -30), q: "corp4" },
    task: { taskId },
    taskFailed: { taskId, status: "failed" },
    // Dates beside a task or a whole address: a day the task sent on, a week it did not.
    taskFirstDay: { taskId, from: taskFirstDay, to: taskFirstDay },
    taskLastWeek: { taskId, from: addDays(today, -7), to: addDays(today, -1) },
    exactAddressLastWeek: { q: sampleEmail, from: addDays(today, -7), to: addDays(today, -1) },
  };
  const results: Timings[string] = {};
  for (const [name, filters] of Object.entries(cases)) {
    results[name] = {};
    for (const [role, actor] of Object.entries(actors(departmentId))) {
      const ctx: Ctx = { db: handle.db, actor };
      const page = await searchDeliveries(ctx, filters, DELIVERY_LOG_PAGE_SIZE, { timeZone });
      results[name][role] = { ...(await time(() => searchDeliveries(ctx, filters, DELIVERY_LOG_PAGE_SIZE, { timeZone }))), rows: page.rows.length, windowed: page.windowed };
      log(`searchDeliveries ${name} ${role}: p95 ${results[name][role].p95Ms} ms`);
    }
  }
  return results;
}

function misses(results: Timings): string[] {
  const missed: string[] = [];
  for (const [query, periods] of Object.entries(results)) {
    for (const [period, roles] of Object.entries(periods)) {
      for (const [role, timing] of Object.entries(roles)) {
        if (timing.p95Ms >= TARGETS.p95Ms) missed.push(`${query} ${period} ${role}: p95 ${timing.p95Ms} ms`);
      }
    }
  }
  return missed;
}

// ---------------------------------------------------------------------------------------------
// The benchmark

export async function runReportsBenchmark(options: { rows?: string }) {
  const rows = rowCount(options.rows);
  const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || DEFAULT_SERVER_URL;
  const timeZone = readEnv().timeZone;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-bench-reports-"));
  const savedDataDir = process.env.FANOUT_DATA_DIR;
  process.env.FANOUT_DATA_DIR = dataDir;
  // BENCH_REPORTS_DATABASE_URL measures a database a run kept (BENCH_REPORTS_KEEP=1) again, migrated to this code, without seeding it: the same data before and after a change.
  const reused = process.env.BENCH_REPORTS_DATABASE_URL;
  const scratch = reused ? { url: reused, drop: async () => undefined } : await createScratchDatabase(serverUrl, "fanout_bench_reports");
  let handle: DatabaseHandle | undefined;
  try {
    handle = await openDatabase({ driver: "pg", url: scratch.url });
    const now = new Date();
    const seedStarted = performance.now();
    let seeded: { steps: Record<string, number> | "reused" } = { steps: "reused" };
    if (!reused) {
      log(`seeding ${rows.toLocaleString("en")} deliveries over ${DAYS} days (${timeZone})`);
      seeded = await seed(handle, scratch.url, rows, now, timeZone);
    }
    const seedSeconds = seconds(seedStarted);

    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    const count = async (query: string) => Number((await client.query<{ n: string }>(query)).rows[0]!.n);
    const sizes = {
      deliveries: await count("select count(*) as n from deliveries"),
      deliveryDaily: await count("select count(*) as n from delivery_daily"),
      deliveryDailySender: await count("select count(*) as n from delivery_daily_sender"),
      deliveryDailyFailures: await count("select count(*) as n from delivery_daily_failures"),
      tasks: await count("select count(*) as n from tasks"),
      taskLinks: await count("select count(*) as n from task_links"),
      deliveriesMb: round((await count("select pg_total_relation_size('deliveries') as n")) / 1_048_576, 0),
      deliveryDailyMb: round((await count("select pg_total_relation_size('delivery_daily') as n")) / 1_048_576, 1),
      deliveryDailySenderMb: round((await count("select pg_total_relation_size('delivery_daily_sender') as n")) / 1_048_576, 1),
      deliveryDailyFailuresMb: round((await count("select pg_total_relation_size('delivery_daily_failures') as n")) / 1_048_576, 1),
    };
    // The busiest department, its biggest task, and the biggest task of all.
    const busiest = (await client.query<{ department_id: string }>("select department_id from tasks group by department_id order by sum(total) desc limit 1")).rows[0]!.department_id;
    const departmentTask = (await client.query<{ id: string }>("select id from tasks where department_id = $1 order by total desc limit 1", [busiest])).rows[0]!.id;
    const biggestTask = (await client.query<{ id: string }>("select id from tasks order by total desc limit 1")).rows[0]!.id;
    const sampleEmail = (await client.query<{ email: string }>("select email from deliveries where department_id = $1 order by id desc limit 1 offset 1000", [busiest])).rows[0]?.email ?? "nobody@example.com";
    const taskStarted = (await client.query<{ started_at: Date }>("select started_at from tasks where id = $1", [departmentTask])).rows[0]!.started_at;
    const server = (await client.query<{ server_version: string }>("show server_version")).rows[0]!.server_version;
    await client.end();
    log(`seeded in ${seedSeconds} s: ${JSON.stringify(sizes)}`);

    const ranges = reportRanges(now, timeZone);
    const modules = await loadReports();
    const queries = await measureReports(handle, modules.queries, busiest, { admin: biggestTask, department: departmentTask }, ranges);
    const deliveryLog = await measureDeliveryLog(handle, modules.deliveryLog, busiest, departmentTask, sampleEmail, zonedDate(taskStarted, timeZone), now, timeZone);
    const missed = [...misses(queries), ...misses({ searchDeliveries: deliveryLog })];
    return {
      rows,
      postgres: server,
      node: process.version,
      cpus: os.cpus().length,
      timeZone,
      seed: { seconds: seedSeconds, steps: seeded.steps },
      sizes,
      ranges: Object.fromEntries(Object.entries(ranges).map(([name, range]) => [name, `${range.from}..${range.to}`])),
      queries,
      deliveryLog,
      targets: TARGETS,
      pass: { all: missed.length === 0, missed },
    };
  } finally {
    await handle?.close().catch(() => undefined);
    if (reused) log(`measured the kept database again: ${scratch.url}`);
    else if (process.env.BENCH_REPORTS_KEEP === "1") log(`kept the scratch database (BENCH_REPORTS_KEEP=1): ${scratch.url}`);
    else await scratch.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (savedDataDir === undefined) delete process.env.FANOUT_DATA_DIR;
    else process.env.FANOUT_DATA_DIR = savedDataDir;
  }
}
