import "server-only";
import { sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { readEnv } from "@/lib/config/env";
import { zonedDate } from "@/lib/time/zone";
import type { LockedDelivery } from "./record";

/**
 * The daily rollups the reports read, moved in the same transaction as the delivery they count:
 * by the sending engine for each batch's answers, by the feedback paths for what came after.
 */

export const ROLLUP_COUNTS = [
  "sent",
  "failed",
  "user_unknown",
  "mailbox_full",
  "rejected",
  "other",
  "delivered",
  "bounced",
  "complained",
  "unsubscribed",
  "opened",
  "clicked",
  "machine_opened",
  "machine_clicked",
] as const;
export type RollupCount = (typeof ROLLUP_COUNTS)[number];
/** The counts `delivery_daily_failures` keeps, per day, department and recipient domain. */
export const FAILURE_COUNTS = ["failed", "user_unknown", "mailbox_full", "rejected", "other"] as const satisfies readonly RollupCount[];

export type RollupKey = Pick<LockedDelivery, "departmentId" | "clientIp" | "senderDomain">;
export type RollupCounts = Partial<Record<RollupCount, number>>;

/**
 * Adds to the day's rollups (the day in FANOUT_TIMEZONE that `at` falls on) for one department,
 * client IP and sender domain: a row per recipient domain in `delivery_daily`, their sum in
 * `delivery_daily_sender`, which every report but failures by recipient domain reads, and the
 * failures alone per recipient domain (without IP and sender domain) in
 * `delivery_daily_failures`, which that report reads. Rows are written in domain order, so
 * concurrent writers lock them in the same order.
 */
export async function addToRollups(tx: Executor, key: RollupKey, byRecipientDomain: { recipientDomain: string; counts: RollupCounts }[], at: Date = new Date()): Promise<void> {
  const columns = ROLLUP_COUNTS.filter((column) => byRecipientDomain.some((group) => (group.counts[column] ?? 0) !== 0));
  if (columns.length === 0) return;
  const day = zonedDate(at, readEnv().timeZone);
  const groups = [...byRecipientDomain].sort((a, b) => (a.recipientDomain < b.recipientDomain ? -1 : a.recipientDomain > b.recipientDomain ? 1 : 0));
  const records: ({ domain: string } & RollupCounts)[] = groups.map((group) => ({ domain: group.recipientDomain, ...Object.fromEntries(columns.map((column) => [column, group.counts[column] ?? 0])) }));
  const { names, recordType, picked, add } = countColumns(columns);
  const summed = sql.raw(columns.map((column) => `sum(g.${column})`).join(", "));
  const json = JSON.stringify(records);
  await tx.execute(sql`
    insert into delivery_daily (day, department_id, client_ip, sender_domain, recipient_domain, ${names})
    select ${day}::date, ${key.departmentId}, ${key.clientIp}, ${key.senderDomain}, g.domain, ${picked}
    from json_to_recordset(${json}::json) as g(${recordType})
    on conflict (day, department_id, client_ip, sender_domain, recipient_domain) do update set ${add("delivery_daily")}`);
  await tx.execute(sql`
    insert into delivery_daily_sender (day, department_id, client_ip, sender_domain, ${names})
    select ${day}::date, ${key.departmentId}, ${key.clientIp}, ${key.senderDomain}, ${summed}
    from json_to_recordset(${json}::json) as g(${recordType})
    on conflict (day, department_id, client_ip, sender_domain) do update set ${add("delivery_daily_sender")}`);
  const failureColumns = columns.filter((column) => (FAILURE_COUNTS as readonly string[]).includes(column));
  const failing = records.filter((record) => failureColumns.some((column) => record[column] !== 0));
  if (failing.length === 0) return;
  const failures = countColumns(failureColumns);
  await tx.execute(sql`
    insert into delivery_daily_failures (day, department_id, recipient_domain, ${failures.names})
    select ${day}::date, ${key.departmentId}, g.domain, ${failures.picked}
    from json_to_recordset(${JSON.stringify(failing)}::json) as g(${failures.recordType})
    on conflict (day, department_id, recipient_domain) do update set ${failures.add("delivery_daily_failures")}`);
}

/**
 * The SQL around a set of count columns (names from ROLLUP_COUNTS only, never input): their list,
 * the json_to_recordset record type with the domain, the picked values and the upsert's sums.
 */
function countColumns(columns: readonly RollupCount[]) {
  return {
    names: sql.raw(columns.join(", ")),
    recordType: sql.raw(["domain text", ...columns.map((column) => `${column} int`)].join(", ")),
    picked: sql.raw(columns.map((column) => `g.${column}`).join(", ")),
    add: (table: string) => sql.raw(columns.map((column) => `${column} = ${table}.${column} + excluded.${column}`).join(", ")),
  };
}

/** Adds one delivery's feedback to the rollups of the day it arrived, keyed like the send it follows. */
export async function addToRollup(tx: Executor, delivery: RollupKey & Pick<LockedDelivery, "email"> & Partial<Pick<LockedDelivery, "recipientDomain">>, counts: RollupCounts, at: Date = new Date()): Promise<void> {
  await addToRollups(tx, delivery, [{ recipientDomain: delivery.recipientDomain ?? recipientDomainOf(delivery.email), counts }], at);
}

export function recipientDomainOf(email: string): string {
  return email.slice(email.lastIndexOf("@") + 1);
}
