import type { AddressProblem } from "@/lib/addresses/normalize";
import "server-only";
import { and, desc, eq, inArray, sql, type Column, type SQL } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { contacts, departments, suppressions, type SuppressionReason } from "@/db/schema";
import { epochMicros, fromEpochMicros } from "@/db/sql";
import { operatorId } from "@/lib/access/actor";
import { authorize, departmentScope, resolveTargetDepartment } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import type { Ctx } from "@/lib/access/context";
import { invalidInput } from "@/lib/errors";
import type { ReasonParams } from "@/lib/i18n/reasons-en";
import { readAddressCell } from "./address-cell";

export const SUPPRESSION_PAGE_SIZE = 50;
export const MAX_BULK_SUPPRESSIONS = 50_000;

/**
 * A page's cursor: the last row's time in microseconds, department and address
 * ("1773072060123456_<uuid>_a@example.com"). One paste's addresses share one time (its
 * transaction's now()), so the time alone cannot say where a page ended.
 */
const CURSOR = /^(-?\d{1,17})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_(.{1,320})$/i;

/** Whether a URL parameter is a cursor a suppression page gave. */
export function isSuppressionCursor(text: string): boolean {
  return CURSOR.test(text);
}

/** `like` text matching `q` anywhere, its wildcards escaped. */
export const containing = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The rows after a page's cursor (CURSOR) in a list ordered newest first by (created, key,
 * department): a condition on those three columns, or undefined without a cursor.
 */
export function afterCursor(before: string | undefined, columns: { createdAt: SQL | Column; key: SQL | Column; departmentId: SQL | Column }): SQL | undefined {
  if (!before) return undefined;
  const cursor = CURSOR.exec(before);
  if (!cursor) throw invalidInput("badCursor", { field: "before" });
  return sql`(${columns.createdAt}, ${columns.key}, ${columns.departmentId}) < (${fromEpochMicros(cursor[1]!)}, ${cursor[3]}, ${cursor[2]}::uuid)`;
}

/** A page of PAGE_SIZE + 1 rows read: the page, and the cursor of the next one (null at the end). */
export function pageWithCursor<Row extends { createdMicros: string | number; departmentId: string }>(rows: Row[], keyOf: (row: Row) => string) {
  const page = rows.slice(0, SUPPRESSION_PAGE_SIZE);
  const last = page.at(-1);
  return {
    rows: page.map(({ createdMicros: _cursor, ...row }) => row),
    nextBefore: rows.length > SUPPRESSION_PAGE_SIZE && last ? `${last.createdMicros}_${last.departmentId}_${keyOf(last)}` : null,
  };
}

/** Inserts rows 5,000 a statement; `insert` answers the rows it added (conflicts skipped). */
export async function insertInChunks<Row>(rows: Row[], insert: (chunk: Row[]) => Promise<unknown[]>): Promise<number> {
  let count = 0;
  for (let start = 0; start < rows.length; start += 5_000) count += (await insert(rows.slice(start, start + 5_000))).length;
  return count;
}

export async function listSuppressions(ctx: Ctx, filters: { q?: string; reason?: SuppressionReason; before?: string } = {}) {
  authorize(ctx.actor, "pools.manage");
  const conditions: (SQL | undefined)[] = [departmentScope(ctx.actor, suppressions.departmentId)];
  if (filters.q) conditions.push(sql`${suppressions.email} like ${containing(filters.q.toLowerCase())}`);
  if (filters.reason) conditions.push(eq(suppressions.reason, filters.reason));
  conditions.push(afterCursor(filters.before, { createdAt: suppressions.createdAt, key: suppressions.email, departmentId: suppressions.departmentId }));
  const rows = await ctx.db
    .select({
      departmentId: suppressions.departmentId,
      departmentName: departments.name,
      email: suppressions.email,
      reason: suppressions.reason,
      note: suppressions.note,
      createdBy: suppressions.createdBy,
      createdAt: suppressions.createdAt,
      createdMicros: epochMicros(suppressions.createdAt),
    })
    .from(suppressions)
    .innerJoin(departments, eq(departments.id, suppressions.departmentId))
    .where(and(...conditions))
    .orderBy(desc(suppressions.createdAt), desc(suppressions.email), desc(suppressions.departmentId))
    .limit(SUPPRESSION_PAGE_SIZE + 1);
  return pageWithCursor(rows, (row) => row.email);
}

/** Invalid lines named back to the paster; past this many only their count. */
export const REPORTED_INVALID_LINES = 100;
/** Characters of an invalid line's text shown back. */
const SHOWN_TEXT = 60;

export type InvalidPastedLine = { line: number; value: string; reason: AddressProblem; params: ReasonParams };

/**
 * The pasted text's entries with their line numbers: one or many a line, separated by commas or
 * semicolons outside double quotes (so `"Smith, John" <j@example.com>` stays one entry).
 */
export function pastedEntries(text: string): { line: number; value: string }[] {
  const entries: { line: number; value: string }[] = [];
  text.split(/\r\n|\r|\n/).forEach((lineText, index) => {
    let quoted = false;
    let start = 0;
    for (let i = 0; i <= lineText.length; i++) {
      const c = lineText[i];
      if (c === '"') quoted = !quoted;
      else if (i === lineText.length || (!quoted && (c === "," || c === ";"))) {
        const value = lineText.slice(start, i).trim();
        if (value) entries.push({ line: index + 1, value });
        start = i + 1;
      }
    }
  });
  return entries;
}

const shown = (value: string) => (value.length > SHOWN_TEXT ? `${value.slice(0, SHOWN_TEXT - 1)}…` : value);

/**
 * Adds addresses to a department's suppression list (one or many, one per line or
 * separated by commas/semicolons; `Name <address>` too). Existing entries keep their first reason.
 * What is not an address is named back by line (the first REPORTED_INVALID_LINES of them), and the
 * rest are added all the same.
 */
export async function addSuppressions(
  ctx: Ctx,
  input: { departmentId?: string | null; addresses: string; reason: SuppressionReason; note?: string },
) {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  authorize(ctx.actor, "pools.manage", { departmentId });
  const candidates = pastedEntries(input.addresses);
  if (candidates.length === 0) throw invalidInput("addressesMissing", { field: "addresses" });
  if (candidates.length > MAX_BULK_SUPPRESSIONS) throw invalidInput("tooManyAddresses", { field: "addresses", params: { max: MAX_BULK_SUPPRESSIONS } });
  const invalid: InvalidPastedLine[] = [];
  let invalidCount = 0;
  const emails = new Set<string>();
  for (const candidate of candidates) {
    const checked = readAddressCell(candidate.value);
    if (checked.ok) emails.add(checked.email);
    else if (++invalidCount <= REPORTED_INVALID_LINES) invalid.push({ line: candidate.line, value: shown(candidate.value), reason: checked.reason, params: checked.params });
  }
  const added = await ctx.db.transaction(async (tx) => {
    const rows = [...emails].map((email) => ({
      departmentId,
      email,
      reason: input.reason,
      note: input.note ?? "",
      createdBy: operatorId(ctx.actor),
    }));
    const count = await insertInChunks(rows, (chunk) => tx.insert(suppressions).values(chunk).onConflictDoNothing().returning({ email: suppressions.email }));
    if (input.reason === "unsubscribed" && emails.size > 0) await markContacts(tx, departmentId, [...emails], "unsubscribed");
    await recordAudit(tx, ctx.actor, {
      action: "suppression.add",
      objectType: "suppression",
      objectId: emails.size === 1 ? [...emails][0]! : "",
      departmentId,
      summary: { key: input.note ? "suppression.addWithNote" : "suppression.add", params: { count, reason: input.reason, note: input.note ?? null } },
    });
    return count;
  });
  return { added, alreadySuppressed: emails.size - added, invalid, invalidCount };
}

export async function removeSuppression(ctx: Ctx, input: { departmentId: string; email: string; reason: string }) {
  authorize(ctx.actor, "pools.manage", { departmentId: input.departmentId });
  if (input.reason.trim().length < 3) throw invalidInput("unsuppressReasonMissing", { field: "reason" });
  return ctx.db.transaction(async (tx) => {
    const removed = await tx
      .delete(suppressions)
      .where(and(eq(suppressions.departmentId, input.departmentId), eq(suppressions.email, input.email)))
      .returning({ reason: suppressions.reason });
    if (removed.length === 0) return { removed: false };
    await recordAudit(tx, ctx.actor, {
      action: "suppression.remove",
      objectType: "suppression",
      objectId: input.email,
      departmentId: input.departmentId,
      summary: { key: "suppression.remove", params: { email: input.email, reason: removed[0]!.reason, why: input.reason.trim() } },
    });
    return { removed: true };
  });
}

export async function markContacts(executor: Executor, departmentId: string, emails: string[], status: "unsubscribed" | "bounced" | "complained") {
  await executor
    .update(contacts)
    .set({ status, updatedAt: new Date() })
    .where(and(eq(contacts.departmentId, departmentId), inArray(contacts.email, emails)));
}
