import "server-only";
import { sql } from "drizzle-orm";
import { affectedRows, queryRows, type Executor } from "@/db/client";
import { toArray } from "@/db/sql";
import { systemActor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { readSetting, writeSetting } from "@/lib/accounts/settings";
import { erasedKeySql } from "@/lib/addresses/erased";
import { recordAudit } from "@/lib/audit/record";
import { invalidInput } from "@/lib/errors";
import { redactEventsOf } from "./erase";

/** Deliveries redacted per transaction: each batch commits on its own, so the job never holds a long lock. */
export const RETENTION_BATCH = 1_000;
export const MAX_RETENTION_MONTHS = 120;
/** The local runner's timer; under Inngest a daily cron (inngest/functions/redact-old-deliveries.ts). */
const RETENTION_EVERY_MS = 6 * 60 * 60 * 1000;

/** Sets (or, with null, turns off) "delete per-delivery personal data older than N months"; audited as settings.update. */
export async function setRetentionMonths(ctx: Ctx, months: number | null) {
  if (months !== null && (!Number.isInteger(months) || months < 1 || months > MAX_RETENTION_MONTHS)) throw invalidInput("retentionMonthsInvalid", { field: "months" });
  await writeSetting(ctx, "personalDataRetentionMonths", months);
}

export type RetentionRun = { months: number | null; deliveries: number; events: number; outboxMessages: number };

/**
 * Redacts what each delivery older than the retention setting holds about its person, as an erasure
 * does for one address: the address becomes its placeholder (the domain kept), the contact link and
 * reply text go, events lose IP, user agent and auto-reply text, and contacts forget a first open or click
 * of that age (what segments read). Only finished deliveries, by the
 * time they were sent (or last changed, for those never sent); counts, task counters and rollups
 * stay. Stored outbox mail of that age is deleted. In batches of RETENTION_BATCH, one transaction
 * each; one operation-log row per run that changed anything, as the system.
 */
export async function runRetention(db: Executor, now = new Date(), batch = RETENTION_BATCH): Promise<RetentionRun> {
  const months = await readSetting(db, "personalDataRetentionMonths");
  const run: RetentionRun = { months, deliveries: 0, events: 0, outboxMessages: 0 };
  if (months === null) return run;
  const cutoff = sql`(${now.toISOString()}::timestamptz - ${months} * interval '1 month')`;
  // Walks the ledger in id order once per run (older deliveries have lower ids), so no batch rereads what the last one passed.
  let after = 0;
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const rows = await queryRows<{ id: string | number }>(
        tx,
        sql`with old as (
              select id from deliveries
              where id > ${after} and status in ('sent', 'delivered', 'failed', 'suppressed', 'cancelled') and email not like 'erased:%'
                and coalesce(sent_at, updated_at) < ${cutoff}
              order by id limit ${batch} for update skip locked
            )
            update deliveries d set email = ${erasedKeySql(sql`d.email`)} || '@' || regexp_replace(d.email, '^.*@', ''),
                   contact_id = null, address = null, error = replace(d.error, d.email, ${erasedKeySql(sql`d.email`)})
            from old where d.id = old.id returning d.id`,
      );
      if (rows.length > 0) {
        const ids = rows.map((row) => Number(row.id));
        run.events += affectedRows(await tx.execute(redactEventsOf(sql`${toArray(ids)}::bigint[]`)));
        run.deliveries += ids.length;
        after = Math.max(...ids);
      }
      return rows.length < batch;
    });
    if (done) break;
  }
  // A contact's newest first open or click older than the cutoff was held by deliveries just redacted: it goes with them.
  await db.execute(sql`
    update contacts set latest_open_at = case when latest_open_at < ${cutoff} then null else latest_open_at end,
                        latest_click_at = case when latest_click_at < ${cutoff} then null else latest_click_at end
    where latest_open_at < ${cutoff} or latest_click_at < ${cutoff}`);
  const outbox = await queryRows<{ count: number }>(db, sql`with gone as (delete from outbox_messages where created_at < ${cutoff} returning 1) select count(*)::int as count from gone`);
  run.outboxMessages = outbox[0]?.count ?? 0;
  if (run.deliveries + run.outboxMessages > 0) {
    await recordAudit(db, systemActor("retention"), {
      action: "privacy.retention",
      objectType: "setting",
      objectId: "personalDataRetentionMonths",
      summary: { key: "privacy.retention", params: { deliveries: run.deliveries, months } },
      details: { ...run },
    });
  }
  return run;
}

/** Runs the retention job now and every few hours, without keeping the process alive (the local runner's timer). */
export function startRetentionTimer(db: Executor, everyMs = RETENTION_EVERY_MS): () => void {
  const sweep = () => runRetention(db).catch((error) => console.error("[fanout] retention", error));
  void sweep();
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
