import "server-only";
import { and, asc, desc, eq, gte, ilike, isNotNull, lt, sql, type Column, type SQL } from "drizzle-orm";
import { unionAll } from "drizzle-orm/pg-core";
import { epochMicros, fromEpochMicros } from "@/db/sql";
import { BOUNCE_CATEGORIES, DELIVERY_STATUSES, deliveries, departments, type BounceCategory, type DeliveryStatus } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { departmentScope } from "@/lib/access/policy";
import { readEnv } from "@/lib/config/env";
import { invalidInput } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
import { addDays, isIsoDate, startOfZonedDay } from "@/lib/time/zone";
import { cursorAfter, parseDeliveryCursor, type DeliveryCursor } from "./cursor";

/**
 * The one listing of deliveries, behind a task's delivery log (its console page and the API) and
 * the company's delivery log (数据投递日志): pages newest first, keysets read by walking indexes.
 *
 * The walk: the address's (email, id) for a whole address, the task's (task_id, status, id) once
 * per status for a task, the department's (department_id, id) once per readable department
 * (merged), the primary key for callers who read everything; these pages are in id order and the
 * cursor is the last id. A date range without a whole address walks answer times (partial indexes:
 * answered deliveries only): a task's (task_id, sent_at, id), else (department_id, sent_at, id)
 * once per readable department, every department for callers who read everything, merged newest
 * sent first: those pages are in (sent_at, id) order and the cursor carries both (./cursor.ts). A
 * filter no index serves (part of an address, a status or category across tasks or beside dates, a
 * date range beside a whole address, whose deliveries are few) is applied to a window of at
 * most DELIVERY_LOG_SCAN_WINDOW rows of that walk, so a page never reads more than the window
 * however rare the match; a page the window cut short says so (`windowed`) and its `nextBefore`
 * continues below what was looked at.
 *
 * The department scope is part of the query: another department's task simply matches nothing,
 * exactly like a task without deliveries. Who may list at all is the caller's to check.
 */

export type DeliveryLogFilters = {
  /** A whole address matches exactly; anything else matches addresses containing it. */
  q?: string;
  taskId?: string;
  status?: DeliveryStatus;
  category?: BounceCategory;
  /** Calendar days (YYYY-MM-DD) in FANOUT_TIMEZONE, inclusive, on the time the message was answered (sent_at). */
  from?: string;
  to?: string;
  /** Keyset cursor, as a page's `nextBefore` gave it. */
  before?: string;
};

/** Rows of the index walk a filter no index serves may look at for one page. */
export const DELIVERY_LOG_SCAN_WINDOW = 10_000;
const MAX_PAGE_SIZE = 5_000;

/** What a listed delivery shows; a delivery's trail reads these and more. */
export const DELIVERY_COLUMNS = {
  id: deliveries.id,
  email: deliveries.email,
  taskId: deliveries.taskId,
  departmentId: deliveries.departmentId,
  status: deliveries.status,
  category: deliveries.category,
  code: deliveries.code,
  enhancedStatus: deliveries.enhancedStatus,
  error: deliveries.error,
  attempts: deliveries.attempts,
  nextAttemptAt: deliveries.nextAttemptAt,
  providerId: deliveries.providerId,
  messageId: deliveries.messageId,
  sentAt: deliveries.sentAt,
  updatedAt: deliveries.updatedAt,
  deliveredAt: deliveries.deliveredAt,
  bouncedAt: deliveries.bouncedAt,
  complainedAt: deliveries.complainedAt,
  unsubscribedAt: deliveries.unsubscribedAt,
  openCount: deliveries.openCount,
  machineOpenCount: deliveries.machineOpenCount,
  clickCount: deliveries.clickCount,
  machineClickCount: deliveries.machineClickCount,
  firstOpenAt: deliveries.firstOpenAt,
  firstClickAt: deliveries.firstClickAt,
};

export type DeliveryRow = Pick<typeof deliveries.$inferSelect, keyof typeof DELIVERY_COLUMNS>;
export type DeliveryPage = { rows: DeliveryRow[]; nextBefore: string | null; windowed: boolean };
export type ListingOptions = { limit: number; window?: number; timeZone?: string };

/** The walk's columns: a row, and its exact answer time for the cursor (a Date keeps only milliseconds). */
const WALK_COLUMNS = {
  ...DELIVERY_COLUMNS,
  sentAtMicros: sql<string | null>`${epochMicros(deliveries.sentAt)}`.as("sent_at_micros"),
};

export function checkDeliveryLogFilters(filters: DeliveryLogFilters): void {
  if (filters.status && !DELIVERY_STATUSES.includes(filters.status)) {
    throw invalidInput("unknownValue", { field: "status", params: { value: filters.status } });
  }
  if (filters.category && !BOUNCE_CATEGORIES.includes(filters.category)) {
    throw invalidInput("unknownValue", { field: "category", params: { value: filters.category } });
  }
  if (filters.taskId && !isUuid(filters.taskId)) throw invalidInput("notId", { field: "taskId" });
  for (const field of ["from", "to"] as const) {
    const value = filters[field];
    if (value && !isIsoDate(value)) throw invalidInput("notDate", { field });
  }
  if (filters.before !== undefined && parseDeliveryCursor(filters.before) === null) throw badCursor();
}

const badCursor = () => invalidInput("badCursor", { field: "before" });

/** A page's query, worked out once from its filters. */
type Plan = {
  filters: DeliveryLogFilters;
  /** The address looked for, lowercased; `exact` when it is a whole address, walked on its index. */
  q?: string;
  exact: boolean;
  /** Whether the walk is on answer times, (department_id, sent_at, id): pages in (sent_at, id) order. */
  byTime: boolean;
  since?: Date;
  until?: Date;
  cursor: DeliveryCursor | null;
  pageSize: number;
  /** Whether a filter no index serves is looked for within the window of the walk. */
  filtered: boolean;
  windowSize: number;
};

type Filterable = Record<"email" | "status" | "category" | "sentAt", Column>;
type Ordered = { id: Column; sentAt: Column };

function planPage(filters: DeliveryLogFilters, options: ListingOptions): Plan {
  const dayStart = (day: string) => startOfZonedDay(day, options.timeZone ?? readEnv().timeZone);
  const pageSize = Math.min(Math.max(Math.trunc(options.limit), 1), MAX_PAGE_SIZE);
  const q = filters.q?.trim().toLowerCase() || undefined;
  const exact = q !== undefined && isWholeAddress(q);
  // A date range is walked on answer times, (task_id, sent_at, id) for a task, (department_id, sent_at, id) otherwise, unless a whole address narrows the walk more.
  const byTime = (filters.from !== undefined || filters.to !== undefined) && !exact;
  const cursor = filters.before !== undefined ? parseDeliveryCursor(filters.before) : null;
  if (cursor && (cursor.sentAtMicros !== undefined) !== byTime) throw badCursor();
  const since = filters.from ? dayStart(filters.from) : undefined;
  const until = filters.to ? dayStart(addDays(filters.to, 1)) : undefined;
  const plan: Plan = { filters, q, exact, byTime, since, until, cursor, pageSize, filtered: false, windowSize: pageSize + 1 };
  if (residualConditions(plan, DELIVERY_COLUMNS).length === 0) return plan;
  return { ...plan, filtered: true, windowSize: Math.max(options.window ?? DELIVERY_LOG_SCAN_WINDOW, pageSize + 1) };
}

function isWholeAddress(q: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(q);
}

/** What no index of the walk serves, looked for within its window. */
function residualConditions({ filters, q, exact, byTime, since, until }: Plan, w: Filterable): SQL[] {
  return [
    q && !exact ? ilike(w.email, `%${q.replace(/[\\%_]/g, "\\$&")}%`) : undefined,
    filters.status && (exact || !filters.taskId || byTime) ? eq(w.status, filters.status) : undefined,
    filters.category ? eq(w.category, filters.category) : undefined,
    since && !byTime ? gte(w.sentAt, since) : undefined,
    until && !byTime ? lt(w.sentAt, until) : undefined,
  ].filter((condition) => condition !== undefined);
}

/** Below the cursor in the walk's order. For (sent_at, id) the `<=` bounds the index range, the rest skips the ties above it. */
function belowCursor(cursor: DeliveryCursor | null): SQL | undefined {
  if (!cursor) return undefined;
  if (cursor.sentAtMicros === undefined) return lt(deliveries.id, cursor.id);
  const at = fromEpochMicros(cursor.sentAtMicros);
  return and(sql`${deliveries.sentAt} <= ${at}`, sql`(${deliveries.sentAt} < ${at} or ${deliveries.id} < ${cursor.id})`);
}

function newestFirst(plan: Plan, t: Ordered): SQL[] {
  return plan.byTime ? [desc(t.sentAt), desc(t.id)] : [desc(t.id)];
}

function oldestFirst(plan: Plan, t: Ordered): SQL[] {
  return plan.byTime ? [asc(t.sentAt), asc(t.id)] : [asc(t.id)];
}

/** The departments walked one by one, or null when the walk is the primary key (callers who read everything). */
async function walkedDepartments(ctx: Ctx, byTime: boolean): Promise<string[] | null> {
  if (ctx.actor.role === "department") return ctx.actor.departmentId ? [ctx.actor.departmentId] : [];
  if (ctx.actor.role !== "admin" && ctx.actor.readable !== "all") return [...ctx.actor.readable];
  if (!byTime) return null;
  // Departments are disabled, never deleted, so every delivery's department is listed.
  return (await ctx.db.select({ id: departments.id }).from(departments).orderBy(asc(departments.id))).map((row) => row.id);
}

/** One index range of the walk, below the cursor, at most a window long. */
function indexRange(ctx: Ctx, plan: Plan, conditions: (SQL | undefined)[], order: SQL[] = newestFirst(plan, deliveries)) {
  return ctx.db
    .select(WALK_COLUMNS)
    .from(deliveries)
    .where(and(...conditions, belowCursor(plan.cursor)))
    .orderBy(...order)
    .limit(plan.windowSize);
}

/** The index ranges the walk merges: each one already in the walk's order. */
function indexRanges(ctx: Ctx, plan: Plan, departmentIds: string[] | null) {
  const { filters } = plan;
  const scope = departmentScope(ctx.actor, deliveries.departmentId);
  if (plan.exact) return [indexRange(ctx, plan, [eq(deliveries.email, plan.q!), scope, filters.taskId ? eq(deliveries.taskId, filters.taskId) : undefined])];
  const sent = [isNotNull(deliveries.sentAt), plan.since ? gte(deliveries.sentAt, plan.since) : undefined, plan.until ? lt(deliveries.sentAt, plan.until) : undefined];
  // Dates beside a task walk (task_id, sent_at, id) within the range: the task's rows of those days
  // and no others, where its per-status ranges would pass every row answered after them.
  if (filters.taskId && plan.byTime) return [indexRange(ctx, plan, [eq(deliveries.taskId, filters.taskId), ...sent, scope])];
  if (filters.taskId) {
    // (task_id, status, id) is in id order per status: one range per status. With the status an
    // equality, the order would be the id alone, which the primary key gives too, and for a
    // status most of a task's rows have the planner walks it back from the newest delivery,
    // expecting a match every few rows, while an older task's rows only begin after every
    // newer task's (1.1 s at 10M deliveries). A range on the status keeps it in the order, so
    // only (task_id, status, id) serves it.
    const taskId = filters.taskId;
    return (filters.status ? [filters.status] : DELIVERY_STATUSES).map((status) =>
      indexRange(ctx, plan, [eq(deliveries.taskId, taskId), sql`${deliveries.status} between ${status} and ${status}`, scope], [desc(deliveries.status), desc(deliveries.id)]),
    );
  }
  if (departmentIds === null) return [indexRange(ctx, plan, [])];
  if (plan.byTime) {
    // Only (department_id, sent_at, id) is in (sent_at, id) order within a department, so an
    // equality is safe here, and it leaves each range in the merge's order: the planner merges
    // them lazily (Merge Append) instead of reading every range to the window first.
    return departmentIds.map((departmentId) => indexRange(ctx, plan, [eq(deliveries.departmentId, departmentId), ...sent]));
  }
  // A range on department_id (not an equality) keeps it in the sort order, so only the
  // (department_id, id) index serves it: walking the primary key instead would read every newer
  // row of other departments first.
  return departmentIds.map((departmentId) =>
    indexRange(ctx, plan, [sql`${deliveries.departmentId} between ${departmentId} and ${departmentId}`], [desc(deliveries.departmentId), desc(deliveries.id)]),
  );
}

/** The index ranges merged newest first, at most a window long; null when no range can hold a match. */
function walk(ctx: Ctx, plan: Plan, departmentIds: string[] | null) {
  const [first, second, ...rest] = indexRanges(ctx, plan, departmentIds);
  if (!first) return null;
  if (!second) return first;
  if (plan.byTime) {
    const merged = unionAll(first, second, ...rest).as("merged");
    return ctx.db
      .select()
      .from(merged)
      .orderBy(...newestFirst(plan, merged))
      .limit(plan.windowSize);
  }
  return unionAll(first, second, ...rest).orderBy(desc(deliveries.id)).limit(plan.windowSize);
}

/** Where the next page begins when the window ran out before the page filled: below the lowest row looked at. */
async function belowWindow(ctx: Ctx, plan: Plan, departmentIds: string[] | null): Promise<string | null> {
  const looked = walk(ctx, plan, departmentIds)!.as("looked");
  const [edge] = await ctx.db
    .select({ id: looked.id, sentAtMicros: looked.sentAtMicros, count: sql<number>`count(*) over ()` })
    .from(looked)
    .orderBy(...oldestFirst(plan, looked))
    .limit(1);
  return edge && Number(edge.count) >= plan.windowSize ? cursorAfter(edge, plan.byTime) : null;
}

/** One page of deliveries matching the filters, newest first, within the caller's department scope. */
export async function listDeliveryPage(ctx: Ctx, filters: DeliveryLogFilters, options: ListingOptions): Promise<DeliveryPage> {
  checkDeliveryLogFilters(filters);
  const plan = planPage(filters, options);
  const departmentIds = await walkedDepartments(ctx, plan.byTime && !filters.taskId);
  const walked = walk(ctx, plan, departmentIds);
  if (!walked) return { rows: [], nextBefore: null, windowed: false };
  const w = walked.as("w");
  const found = await ctx.db
    .select()
    .from(w)
    .where(and(...residualConditions(plan, w)))
    .orderBy(...newestFirst(plan, w))
    .limit(plan.pageSize + 1);
  const rows = found.slice(0, plan.pageSize).map(({ sentAtMicros: _cursor, ...row }) => row);
  if (found.length > plan.pageSize) return { rows, nextBefore: cursorAfter(found[plan.pageSize - 1]!, plan.byTime), windowed: false };
  const nextBefore = plan.filtered ? await belowWindow(ctx, plan, departmentIds) : null;
  return { rows, nextBefore, windowed: nextBefore !== null };
}
