import "server-only";
import { and, asc, desc, eq, gte, ilike, inArray, isNotNull, lt, sql, type Column, type SQL } from "drizzle-orm";
import {
  BOUNCE_CATEGORIES,
  DELIVERY_STATUSES,
  deliveries,
  deliveryEvents,
  departments,
  senders,
  tasks,
  type BounceCategory,
  type DeliveryStatus,
  type FeedbackEventType,
  type FeedbackSource,
} from "@/db/schema";
import { unionAll } from "drizzle-orm/pg-core";
import { recordAudit } from "@/lib/audit/record";
import { authorize, departmentScope } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { csvLine } from "@/lib/csv/write";
import { invalidInput, notFound } from "@/lib/errors";
import { readEnv } from "@/lib/config/env";
import { addDays, formatInZone, isIsoDate, startOfZonedDay } from "@/lib/time/zone";
import { isUuid } from "@/lib/ids";

/**
 * 数据投递日志: every delivery the caller may read, across tasks, newest first, and the trail of
 * one delivery (its SMTP replies and provider events).
 *
 * Pages are keysets read by walking indexes newest first: the address's (email, id) for a whole
 * address, the task's (task_id, status, id) once per status for a task, the department's
 * (department_id, id) once per readable department (merged), the primary key for callers who read
 * everything; these pages are in id order and the cursor is the last id. A date range without a
 * whole address or a task walks (department_id, sent_at, id) (partial: answered deliveries only)
 * once per readable department, every department for callers who read everything, merged newest
 * sent first: those pages are in (sent_at, id) order and the cursor carries both. A filter no index
 * serves (part of an address, a status or category across tasks, a date range beside an address
 * or a task) is applied to a window of at most `window` rows of that walk, so a page never reads
 * more than the window however rare the match; a page the window cut short says so (`windowed`)
 * and its `nextBefore` continues below what was looked at.
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
  /**
   * Keyset cursor, as a page's `nextBefore` gave it: an id ("123": only deliveries with a smaller
   * id), or when the page walked sent_at, the answer time in microseconds since the epoch and the id
   * ("1773072060123456_123": only deliveries answered earlier, or at that instant with a smaller id).
   */
  before?: string;
};

export const DELIVERY_LOG_PAGE_SIZE = 50;
/** Rows of the index walk a filter no index serves may look at for one page. */
export const DELIVERY_LOG_SCAN_WINDOW = 10_000;
export const DELIVERY_LOG_EXPORT_LIMIT = 100_000;

const WHOLE_ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ID_CURSOR = /^[1-9]\d{0,14}$/;
const TIME_CURSOR = /^(-?\d{1,17})_([1-9]\d{0,14})$/;

type Cursor = { id: number; sentAt?: string };

/** The cursor's parts, or null when it is not one a page gave. */
function parseCursor(before: string): Cursor | null {
  if (ID_CURSOR.test(before)) return Number.isSafeInteger(Number(before)) ? { id: Number(before) } : null;
  const time = TIME_CURSOR.exec(before);
  if (!time || !Number.isSafeInteger(Number(time[2]))) return null;
  return { id: Number(time[2]), sentAt: time[1] };
}

/** Whether a cursor has the shape one a page gives (for reading it from a URL). */
export function isDeliveryLogCursor(before: string): boolean {
  return parseCursor(before) !== null;
}

export function isWholeAddress(q: string): boolean {
  return WHOLE_ADDRESS.test(q.trim());
}

export type DeliveryLogRow = {
  id: number;
  email: string;
  taskId: string;
  taskName: string;
  departmentId: string;
  department: string;
  status: DeliveryStatus;
  category: BounceCategory | null;
  code: number | null;
  enhancedStatus: string | null;
  error: string | null;
  attempts: number;
  providerId: string | null;
  messageId: string | null;
  sentAt: Date | null;
  updatedAt: Date;
  deliveredAt: Date | null;
  bouncedAt: Date | null;
  complainedAt: Date | null;
  unsubscribedAt: Date | null;
  openCount: number;
  machineOpenCount: number;
  clickCount: number;
  machineClickCount: number;
};

export type DeliveryLogPage = { rows: DeliveryLogRow[]; nextBefore: string | null; windowed: boolean };

const rowColumns = {
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
};

/** The walk's columns: a row, and its exact answer time for the cursor (a Date keeps only milliseconds). */
const walkColumns = { ...rowColumns, sentAtMicros: sql<string | null>`(extract(epoch from ${deliveries.sentAt}) * 1000000)::bigint::text`.as("sent_at_micros") };

function checkFilters(filters: DeliveryLogFilters) {
  if (filters.status && !DELIVERY_STATUSES.includes(filters.status)) {
    throw invalidInput(`Unknown status "${filters.status}"; one of ${DELIVERY_STATUSES.join(", ")}`, { field: "status" });
  }
  if (filters.category && !BOUNCE_CATEGORIES.includes(filters.category)) {
    throw invalidInput(`Unknown category "${filters.category}"; one of ${BOUNCE_CATEGORIES.join(", ")}`, { field: "category" });
  }
  if (filters.taskId && !isUuid(filters.taskId)) throw invalidInput("The task id is malformed", { field: "taskId" });
  for (const field of ["from", "to"] as const) {
    const value = filters[field];
    if (value && !isIsoDate(value)) throw invalidInput(`"${value}" is not a date (YYYY-MM-DD)`, { field });
  }
  if (filters.before !== undefined && parseCursor(filters.before) === null) throw badCursor();
}

const badCursor = () => invalidInput("The cursor is not one this page gave", { field: "before" });

export type SearchOptions = { limit?: number; window?: number; timeZone?: string };

/**
 * One page of the delivery log, newest first. Another department's task simply matches nothing
 * (the department scope is part of the query), exactly like a task without deliveries.
 */
export async function searchDeliveries(
  ctx: Ctx,
  filters: DeliveryLogFilters,
  limit = DELIVERY_LOG_PAGE_SIZE,
  options: Omit<SearchOptions, "limit"> = {},
): Promise<DeliveryLogPage> {
  authorize(ctx.actor, "reports.view");
  checkFilters(filters);
  const timeZone = options.timeZone ?? readEnv().timeZone;
  const pageSize = Math.min(Math.max(Math.trunc(limit), 1), 5_000);
  const q = filters.q?.trim().toLowerCase() || undefined;
  const exact = q !== undefined && isWholeAddress(q);

  // A date range is walked on (department_id, sent_at, id) unless an address or a task narrows the
  // walk more; then the pages are in (sent_at, id) order.
  const byTime = (filters.from !== undefined || filters.to !== undefined) && !exact && !filters.taskId;
  const cursor = filters.before !== undefined ? parseCursor(filters.before) : null;
  if (cursor && (cursor.sentAt !== undefined) !== byTime) throw badCursor();
  const since = filters.from ? startOfZonedDay(filters.from, timeZone) : undefined;
  const until = filters.to ? startOfZonedDay(addDays(filters.to, 1), timeZone) : undefined;

  // What is looked for within the window of the index walk…
  const residual = (w: Record<"email" | "status" | "category" | "sentAt", Column>) =>
    [
      q && !exact ? ilike(w.email, `%${q.replace(/[\\%_]/g, "\\$&")}%`) : undefined,
      filters.status && (exact || !filters.taskId) ? eq(w.status, filters.status) : undefined,
      filters.category ? eq(w.category, filters.category) : undefined,
      since && !byTime ? gte(w.sentAt, since) : undefined,
      until && !byTime ? lt(w.sentAt, until) : undefined,
    ].filter((condition) => condition !== undefined);
  const filtered = residual(rowColumns).length > 0;
  const windowSize = filtered ? Math.max(options.window ?? DELIVERY_LOG_SCAN_WINDOW, pageSize + 1) : pageSize + 1;

  // …and the walk itself: one or more index ranges, newest first, merged.
  const scope = departmentScope(ctx.actor, deliveries.departmentId);
  const at = (micros: string) => sql`(timestamptz 'epoch' + ${micros}::bigint * interval '1 microsecond')`;
  // (sent_at, id) below the cursor's: the `<=` bounds the index range, the rest skips the ties above it.
  const before = !cursor
    ? undefined
    : cursor.sentAt !== undefined
      ? and(sql`${deliveries.sentAt} <= ${at(cursor.sentAt)}`, sql`(${deliveries.sentAt} < ${at(cursor.sentAt)} or ${deliveries.id} < ${cursor.id})`)
      : lt(deliveries.id, cursor.id);
  const newest = (t: { id: Column; sentAt: Column }) => (byTime ? [desc(t.sentAt), desc(t.id)] : [desc(t.id)]);
  const oldest = (t: { id: Column; sentAt: Column }) => (byTime ? [asc(t.sentAt), asc(t.id)] : [asc(t.id)]);
  const branch = (conditions: (SQL | undefined)[], order: SQL[] = newest(deliveries)) =>
    ctx.db
      .select(walkColumns)
      .from(deliveries)
      .where(and(...conditions, before))
      .orderBy(...order)
      .limit(windowSize);
  const listed = async (): Promise<string[] | null> => {
    if (ctx.actor.role === "department") return ctx.actor.departmentId ? [ctx.actor.departmentId] : [];
    if (ctx.actor.role !== "admin" && ctx.actor.readable !== "all") return [...ctx.actor.readable];
    if (!byTime) return null;
    // Departments are disabled, never deleted, so every delivery's department is listed.
    return (await ctx.db.select({ id: departments.id }).from(departments).orderBy(asc(departments.id))).map((row) => row.id);
  };
  const departmentIds = await listed();
  const branches = () => {
    if (exact) return [branch([eq(deliveries.email, q), scope, filters.taskId ? eq(deliveries.taskId, filters.taskId) : undefined])];
    if (filters.taskId) {
      // (task_id, status, id) is in id order per status: one range per status. With the status an
      // equality, the order would be the id alone, which the primary key gives too, and for a
      // status most of a task's rows have the planner walks it back from the newest delivery,
      // expecting a match every few rows, while an older task's rows only begin after every
      // newer task's (1.1 s at 10M deliveries). A range on the status keeps it in the order, so
      // only (task_id, status, id) serves it.
      const taskId = filters.taskId;
      return (filters.status ? [filters.status] : DELIVERY_STATUSES).map((status) =>
        branch([eq(deliveries.taskId, taskId), sql`${deliveries.status} between ${status} and ${status}`, scope], [desc(deliveries.status), desc(deliveries.id)]),
      );
    }
    if (departmentIds === null) return [branch([])];
    if (byTime) {
      // Only (department_id, sent_at, id) is in (sent_at, id) order within a department, so an
      // equality is safe here, and it leaves each branch in the merge's order: the planner merges
      // them lazily (Merge Append) instead of reading every branch to the window first.
      const sent = [isNotNull(deliveries.sentAt), since ? gte(deliveries.sentAt, since) : undefined, until ? lt(deliveries.sentAt, until) : undefined];
      return departmentIds.map((departmentId) => branch([eq(deliveries.departmentId, departmentId), ...sent]));
    }
    // A range on department_id (not an equality) keeps it in the sort order, so only the
    // (department_id, id) index serves it: walking the primary key instead would read every newer
    // row of other departments first.
    return departmentIds.map((departmentId) =>
      branch([sql`${deliveries.departmentId} between ${departmentId} and ${departmentId}`], [desc(deliveries.departmentId), desc(deliveries.id)]),
    );
  };
  const walk = () => {
    const [first, second, ...rest] = branches();
    if (!first) return null;
    if (!second) return first;
    if (byTime) {
      const merged = unionAll(first, second, ...rest).as("merged");
      return ctx.db
        .select()
        .from(merged)
        .orderBy(...newest(merged))
        .limit(windowSize);
    }
    return unionAll(first, second, ...rest).orderBy(desc(deliveries.id)).limit(windowSize);
  };
  const walked = walk();
  if (!walked) return { rows: [], nextBefore: null, windowed: false };
  const cursorOf = (row: { id: number | string; sentAtMicros: string | null }) => (byTime ? `${row.sentAtMicros}_${row.id}` : String(row.id));
  const w = walked.as("w");
  const found = await ctx.db
    .select()
    .from(w)
    .where(and(...residual(w)))
    .orderBy(...newest(w))
    .limit(pageSize + 1);

  let nextBefore: string | null = null;
  let windowed = false;
  if (found.length > pageSize) {
    nextBefore = cursorOf(found[pageSize - 1]!);
  } else if (filtered) {
    // The lowest row looked at, in the walk's order, and how many were looked at.
    const looked = walk()!.as("looked");
    const [edge] = await ctx.db
      .select({ id: looked.id, sentAtMicros: looked.sentAtMicros, count: sql<number>`count(*) over ()` })
      .from(looked)
      .orderBy(...oldest(looked))
      .limit(1);
    if (edge && Number(edge.count) >= windowSize) {
      nextBefore = cursorOf(edge);
      windowed = true;
    }
  }
  return { rows: await withNames(ctx, found.slice(0, pageSize).map(({ sentAtMicros: _key, ...row }) => row)), nextBefore, windowed };
}

async function withNames(ctx: Ctx, page: Omit<DeliveryLogRow, "taskName" | "department">[]): Promise<DeliveryLogRow[]> {
  if (page.length === 0) return [];
  const taskIds = [...new Set(page.map((row) => row.taskId))];
  const departmentIds = [...new Set(page.map((row) => row.departmentId))];
  const [taskNames, departmentNames] = await Promise.all([
    ctx.db.select({ id: tasks.id, name: tasks.name }).from(tasks).where(inArray(tasks.id, taskIds)),
    ctx.db.select({ id: departments.id, name: departments.name }).from(departments).where(inArray(departments.id, departmentIds)),
  ]);
  const taskName = new Map(taskNames.map((row) => [row.id, row.name]));
  const departmentName = new Map(departmentNames.map((row) => [row.id, row.name]));
  return page.map((row) => ({ ...row, taskName: taskName.get(row.taskId) ?? "", department: departmentName.get(row.departmentId) ?? "" }));
}

/** The newest tasks the caller may read, for the log's task filter. */
export async function recentTasks(ctx: Ctx, limit = 100) {
  authorize(ctx.actor, "reports.view");
  return ctx.db
    .select({ id: tasks.id, name: tasks.name, createdAt: tasks.createdAt })
    .from(tasks)
    .where(departmentScope(ctx.actor, tasks.departmentId))
    .orderBy(desc(tasks.createdAt), desc(tasks.id))
    .limit(limit);
}

/** The log's rows for the filters as CSV lines (at most `max` rows), newest first; the export is audited. */
export async function exportDeliveries(
  ctx: Ctx,
  filters: DeliveryLogFilters,
  options: { timeZone: string; max?: number },
): Promise<AsyncIterable<string>> {
  authorize(ctx.actor, "reports.view");
  checkFilters(filters);
  const max = options.max ?? DELIVERY_LOG_EXPORT_LIMIT;
  const described = Object.entries(filters)
    .filter(([, value]) => value !== undefined && value !== "")
    .map(([key, value]) => `${key}=${value}`)
    .join(", ");
  await recordAudit(ctx.db, ctx.actor, {
    action: "delivery.export",
    objectType: "delivery_log",
    objectId: filters.taskId ?? "",
    departmentId: ctx.actor.role === "department" ? ctx.actor.departmentId : null,
    summary: `Exported the delivery log${described ? ` (${described})` : ""}`,
  });
  const time = (value: Date | null) => (value ? formatInZone(value, options.timeZone) : "");
  async function* lines() {
    yield csvLine([
      `sent_at (${options.timeZone})`,
      "email",
      "task",
      "department",
      "status",
      "category",
      "code",
      "enhanced_status",
      "reply",
      "attempts",
      "provider_id",
      "message_id",
      "opens",
      "clicks",
      "machine_opens",
      "machine_clicks",
      "delivered_at",
      "bounced_at",
      "complained_at",
      "unsubscribed_at",
      "delivery_id",
      "task_id",
    ]);
    let before = filters.before;
    let written = 0;
    while (written < max) {
      const page = await searchDeliveries(ctx, { ...filters, before }, Math.min(1_000, max - written), { timeZone: options.timeZone });
      let chunk = "";
      for (const row of page.rows) {
        chunk += csvLine([
          time(row.sentAt),
          row.email,
          row.taskName,
          row.department,
          row.status,
          row.category ?? "",
          row.code ?? "",
          row.enhancedStatus ?? "",
          row.error ?? "",
          row.attempts,
          row.providerId ?? "",
          row.messageId ?? "",
          row.openCount,
          row.clickCount,
          row.machineOpenCount,
          row.machineClickCount,
          time(row.deliveredAt),
          time(row.bouncedAt),
          time(row.complainedAt),
          time(row.unsubscribedAt),
          row.id,
          row.taskId,
        ]);
      }
      written += page.rows.length;
      if (chunk) yield chunk;
      if (page.nextBefore === null) return;
      before = page.nextBefore;
    }
  }
  return lines();
}

export type TrailEntry =
  | { kind: "queued"; at: Date | null }
  | { kind: "event"; id: number; at: Date; type: FeedbackEventType; source: FeedbackSource; machine: boolean; detail: [string, string][] }
  | {
      kind: "answer";
      at: Date | null;
      status: DeliveryStatus;
      category: BounceCategory | null;
      code: number | null;
      enhancedStatus: string | null;
      reply: string | null;
      providerId: string | null;
      messageId: string | null;
      attempts: number;
      nextAttemptAt: Date | null;
    };

/** Keys shown first, in this order; any other plain value an event carried follows. */
const DETAIL_ORDER = ["reply", "code", "enhancedStatus", "status", "category", "url", "userAgent", "ip", "reason"];
const DETAIL_MAX_KEYS = 20;
const DETAIL_MAX_CHARS = 2_000;

/** An event's detail as plain key/value text: nested values and long texts are not sent to the browser whole. */
function plainDetail(detail: Record<string, unknown> | null): [string, string][] {
  if (!detail || typeof detail !== "object") return [];
  const keys = Object.keys(detail).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const out: [string, string][] = [];
  for (const key of keys) {
    const value = detail[key];
    if (value === null || value === undefined || value === "") continue;
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") continue;
    out.push([key, String(value).slice(0, DETAIL_MAX_CHARS)]);
    if (out.length >= DETAIL_MAX_KEYS) break;
  }
  return out;
}

function rank(key: string) {
  const index = DETAIL_ORDER.indexOf(key);
  return index < 0 ? DETAIL_ORDER.length : index;
}

const FINAL: readonly DeliveryStatus[] = ["sent", "delivered", "failed", "suppressed", "cancelled"];

/**
 * One delivery with its task, department and sender, and its trail in time order: queued when
 * the task started, each recorded event (retried replies, provider events, bounces, opens, clicks,
 * unsubscribes), and the send's answer (the last reply, provider id and Message-ID) at the time
 * it came. Another department's delivery is not found, exactly like a missing one.
 */
export async function deliveryTrail(ctx: Ctx, deliveryId: number) {
  authorize(ctx.actor, "reports.view");
  if (!Number.isSafeInteger(deliveryId) || deliveryId <= 0) throw notFound("Delivery");
  const [delivery] = await ctx.db
    .select({
      ...rowColumns,
      nextAttemptAt: deliveries.nextAttemptAt,
      firstOpenAt: deliveries.firstOpenAt,
      firstClickAt: deliveries.firstClickAt,
      taskName: tasks.name,
      taskStartedAt: tasks.startedAt,
      taskScheduledAt: tasks.scheduledAt,
      fromName: tasks.fromName,
      senderAddress: senders.address,
      senderName: senders.name,
      department: departments.name,
    })
    .from(deliveries)
    .innerJoin(tasks, eq(tasks.id, deliveries.taskId))
    .leftJoin(senders, eq(senders.id, tasks.senderId))
    .leftJoin(departments, eq(departments.id, deliveries.departmentId))
    .where(and(eq(deliveries.id, deliveryId), departmentScope(ctx.actor, deliveries.departmentId)))
    .limit(1);
  if (!delivery) throw notFound("Delivery");

  const events = await ctx.db
    .select({
      id: deliveryEvents.id,
      type: deliveryEvents.type,
      source: deliveryEvents.source,
      machine: deliveryEvents.machine,
      detail: deliveryEvents.detail,
      occurredAt: deliveryEvents.occurredAt,
    })
    .from(deliveryEvents)
    .where(and(eq(deliveryEvents.deliveryId, delivery.id), eq(deliveryEvents.departmentId, delivery.departmentId)))
    .orderBy(asc(deliveryEvents.occurredAt), asc(deliveryEvents.id))
    .limit(1_000);

  const answerAt = delivery.sentAt ?? (FINAL.includes(delivery.status) ? delivery.updatedAt : null);
  const answer: TrailEntry = {
    kind: "answer",
    at: answerAt,
    status: delivery.status,
    category: delivery.category,
    code: delivery.code,
    enhancedStatus: delivery.enhancedStatus,
    reply: delivery.error,
    providerId: delivery.providerId,
    messageId: delivery.messageId,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.status === "queued" && delivery.attempts > 0 ? delivery.nextAttemptAt : null,
  };
  const timeline: TrailEntry[] = [{ kind: "queued", at: delivery.taskStartedAt ?? delivery.taskScheduledAt }];
  let placed = false;
  for (const event of events) {
    // The answer goes where its time falls: after the retries before it, before the feedback after it.
    if (!placed && answerAt && event.occurredAt.getTime() > answerAt.getTime()) {
      timeline.push(answer);
      placed = true;
    }
    timeline.push({ kind: "event", id: event.id, at: event.occurredAt, type: event.type, source: event.source, machine: event.machine, detail: plainDetail(event.detail) });
  }
  if (!placed) timeline.push(answer);

  const { taskStartedAt: _started, taskScheduledAt: _scheduled, senderAddress, senderName, fromName, ...rest } = delivery;
  return {
    delivery: {
      ...rest,
      department: delivery.department ?? "",
      sender: senderAddress ? { address: senderAddress, name: fromName || senderName || "" } : null,
    },
    timeline,
  };
}

export type DeliveryTrail = Awaited<ReturnType<typeof deliveryTrail>>;
