import "server-only";
import { eq, sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { tasks } from "@/db/schema";
import { releaseQuota, reserveAsMuchAs } from "@/lib/accounts/quota";
import type { SendingConfig } from "./config";
import { segmentsToMaterialize } from "@/lib/audiences/segments/store";
import type { AbPhase, AbTestConfig, TaskChannel } from "@/db/schema";
import { abStep } from "./ab-test";
import { departmentBestHour, knownZones, type SendTimePlan } from "./send-time";
import { readEnv } from "@/lib/config/env";
import { channelCost } from "./channel";
import { isChannelContext, taskContextFor } from "./context";
import { insertMailRows, insertRenderedRows, trimStepToUnits, type StepRows } from "./materialize-rows";
import { nonOpenersRule } from "./non-openers";
import { countUnreachable, type Audience } from "./recipients";

/**
 * Moves a scheduled task whose time has come to "sending"; only one caller wins. Answers
 * whether this call started it. Nothing else changes: counters, reservation and the
 * materialisation cursor stay as they are, so a task that arrives with its deliveries already
 * written (an smtp task: cursor null) is not materialised again and starts sending at once.
 */
export async function startTask(db: Executor, taskId: string, now: Date = new Date()): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [started] = await queryRows<{ id: string; materialized: boolean }>(
      tx,
      sql`update tasks set status = 'sending', started_at = coalesce(started_at, ${now.toISOString()}::timestamptz), updated_at = now()
          where id = ${taskId} and status = 'scheduled' and scheduled_at <= ${now.toISOString()}::timestamptz
          returning id, materialize_cursor is null as materialized`,
    );
    if (!started) return false;
    // A task whose recipients were written with it (an smtp task) and none of them sendable is done at once.
    if (started.materialized) await completeIfFinished(tx, taskId);
    return true;
  });
}

/** Scheduled tasks whose time has come, oldest first; with `lane: "message"`, only messages. */
export async function dueTasks(db: Executor, now: Date = new Date(), limit = 20, options: { lane?: "message" } = {}): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select id from tasks where status = 'scheduled' and scheduled_at <= ${now.toISOString()}::timestamptz ${options.lane ? sql`and kind = 'message'` : sql``}
        order by scheduled_at limit ${limit}`,
  );
  return rows.map((row) => row.id);
}

/** Started (sending, or paused after starting) tasks that still have contacts to turn into deliveries. */
export async function tasksToMaterialize(db: Executor, limit = 20): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select id from tasks where status in ('sending', 'paused') and started_at is not null and materialize_cursor is not null and ab_phase is distinct from 'waiting'
        order by started_at limit ${limit}`,
  );
  return rows.map((row) => row.id);
}

export type MaterializeStep = { done: boolean; added: number; suppressed: number };

/**
 * Turns the next contacts of a task's audience into delivery rows (one transaction, at most
 * `config.materializeStep` contacts): suppressed ones as "suppressed", the rest "queued" and
 * numbered into batches, up to the task's limit. Each queued row holds one unit of quota; what
 * the task reserved at creation covers them, and more is reserved when the audience has grown
 * since. What cannot be reserved is left out and said in the task's note. Repeating a step
 * after a crash is harmless: the cursor moves in the same transaction as the rows.
 */
export async function materializeStep(db: Executor, taskId: string, config: SendingConfig): Promise<MaterializeStep> {
  return db.transaction(async (tx) => {
    const [task] = await queryRows<{
      department_id: string;
      channel: TaskChannel;
      pool_ids: string[] | null;
      segment_ids: string[];
      segment_counts: Record<string, number> | null;
      follow_up_of: string | null;
      ab_test: AbTestConfig | null;
      ab_phase: AbPhase | null;
      send_time_optimized: boolean;
      started_at: Date | string | null;
      recipient_limit: number | null;
      materialize_cursor: string | number | null;
      status: string;
      started: boolean;
      total: number;
      queued: number;
      suppressed: number;
      reserved: number;
      note: string;
    }>(
      tx,
      sql`select department_id, channel, pool_ids, segment_ids, segment_counts, follow_up_of, ab_test, ab_phase, send_time_optimized, started_at, recipient_limit, materialize_cursor, status, started_at is not null as started, total, queued, suppressed, reserved, note
          from tasks where id = ${taskId} for update`,
    );
    // A task paused before its time keeps no rows: an edit after resuming may still change its audience.
    if (!task || task.materialize_cursor === null || !task.started || !["sending", "paused"].includes(task.status)) return { done: true, added: 0, suppressed: 0 };
    // An A/B test waiting for its winner materialises nothing; its share and then the rest are walks of their own.
    const ab = task.ab_test && task.ab_phase ? abStep(taskId, task.ab_test, task.ab_phase) : null;
    if (ab === "wait") return { done: true, added: 0, suppressed: 0 };

    const cursor = Number(task.materialize_cursor);
    const sendableSoFar = task.total - task.suppressed;
    // Segments are evaluated now, as each step runs; the first step records what each one held.
    const segments = await segmentsToMaterialize(tx, task.department_id, task.segment_ids, { count: task.segment_counts === null });
    // A follow-up's non-openers are evaluated the same way, as each step runs.
    const rules = task.follow_up_of ? [...segments.rules, nonOpenersRule(task.follow_up_of)] : segments.rules;
    const audience: Audience = { departmentId: task.department_id, poolIds: task.pool_ids, segments: rules, channel: task.channel, ...(ab ? { sample: ab.sample } : {}) };
    const bounds = {
      taskId,
      cursor,
      step: config.materializeStep,
      limitLeft: task.recipient_limit === null ? null : task.recipient_limit - sendableSoFar,
      sendableSoFar,
      batchSize: config.batchSize,
      variants: ab?.variants ?? null,
      // Each recipient at their best hour within 24 hours of the start.
      sendTime: task.send_time_optimized && task.started_at !== null ? await sendTimePlan(tx, task.department_id, new Date(task.started_at)) : null,
    };
    // On SMS each queued row holds the quota of its text's segments, counted by rendering it now; on e-mail and WhatsApp one unit.
    const channelContext = task.channel === "email" ? null : await taskContextFor(tx, taskId);
    // Quota units the task's rows held before this step: a row each on e-mail, its segments on SMS.
    const queuedUnits = channelContext ? await unitsHeld(tx, taskId) : task.queued;
    const step = channelContext
      ? await insertRenderedRows(tx, audience, bounds, (candidate) => (isChannelContext(channelContext) ? channelCost(channelContext, candidate) : null))
      : await insertMailRows(tx, audience, bounds);
    let done = step.ended;
    let written: Omit<StepRows, "ended"> = step;

    let note = task.note;
    const unassigned = Math.max(0, task.reserved - queuedUnits);
    let extraReserved = 0;
    let cut = false;
    if (written.units > unassigned) {
      const fits = await reserveAsMuchAs(tx, task.department_id, written.units - unassigned);
      extraReserved = fits;
      const keep = unassigned + fits;
      if (keep < written.units) {
        written = await trimStepToUnits(tx, taskId, written.firstId!, keep);
        cut = true;
        note = `Recipients beyond the quota were left out (quota ran out after ${sendableSoFar + written.queued} recipients).`;
        // What the cut rows would have held, given back now (on SMS a row's segments may not fill what was reserved).
        const over = keep - written.units;
        if (over > 0) {
          await releaseQuota(tx, task.department_id, over);
          extraReserved -= over;
        }
        done = true;
      }
    }

    let reserved = task.reserved + extraReserved;
    // The end of an A/B test's share (not cut short by the quota) is not the end: the walk starts again for the rest after the wait.
    const shareWalked = done && !cut && task.ab_phase === "testing";
    const held = queuedUnits + written.units;
    if (done && !shareWalked && reserved > held) {
      // Every recipient now has its row: give back what the estimate held beyond them.
      await releaseQuota(tx, task.department_id, reserved - held);
      reserved = held;
    }
    if (done && channelContext) note = joinNotes(note, await unreachableNote(tx, audience));
    await tx
      .update(tasks)
      .set({
        total: task.total + written.queued + written.suppressed,
        queued: task.queued + written.queued,
        suppressed: task.suppressed + written.suppressed,
        reserved,
        note,
        materializeCursor: shareWalked ? 0 : done ? null : (written.lastContactId ?? cursor),
        ...(shareWalked ? { abPhase: "waiting" as const } : {}),
        ...(segments.counts ? { segmentCounts: segments.counts } : {}),
        updatedAt: new Date(),
      })
      .where(eq(tasks.id, taskId));
    if (done && !shareWalked) await completeIfFinished(tx, taskId);
    return { done, added: written.queued, suppressed: written.suppressed };
  });
}

async function sendTimePlan(tx: Executor, departmentId: string, start: Date): Promise<SendTimePlan> {
  const companyZone = readEnv().timeZone;
  const zones = await knownZones(tx);
  return { start, companyZone, zones, departmentHour: await departmentBestHour(tx, departmentId, companyZone, zones) };
}

/** Quota units a task's waiting and in-flight rows hold (SMS: their segments). */
async function unitsHeld(tx: Executor, taskId: string): Promise<number> {
  const [row] = await queryRows<{ units: string | number }>(tx, sql`select coalesce(sum(coalesce(segments, 1)), 0) as units from deliveries where task_id = ${taskId} and status in ('queued', 'sending')`);
  return Number(row?.units ?? 0);
}

/** Why contacts of the audience got no row on this channel, or "" when all of them could be reached. */
async function unreachableNote(tx: Executor, audience: Audience): Promise<string> {
  const unreachable = await countUnreachable(tx, audience);
  if (unreachable === 0) return "";
  return audience.channel === "wecom" ? `${unreachable} contacts have no WeCom id or no WeCom consent.` : `${unreachable} contacts have no phone or no ${audience.channel === "sms" ? "SMS" : "WhatsApp"} consent.`;
}

function joinNotes(...notes: string[]): string {
  return notes.filter(Boolean).join(" ").slice(0, 500);
}

/**
 * Materialisation steps one after another for up to `budgetMs` (at least one; 0 means exactly one):
 * bounds how long a caller holds on while a large audience is turned into rows.
 */
export async function materializeWithin(db: Executor, taskId: string, config: SendingConfig, budgetMs: number): Promise<MaterializeStep> {
  const started = Date.now();
  const total: MaterializeStep = { done: false, added: 0, suppressed: 0 };
  do {
    const one = await materializeStep(db, taskId, config);
    total.done = one.done;
    total.added += one.added;
    total.suppressed += one.suppressed;
  } while (!total.done && Date.now() - started < budgetMs);
  return total;
}

/**
 * Marks a sending task completed once every recipient has a row and none is waiting or in
 * flight, giving back any quota it still holds. Safe to call any time, from anywhere.
 */
export async function completeIfFinished(tx: Executor, taskId: string): Promise<boolean> {
  const finished = await queryRows<{ department_id: string; reserved: number }>(
    tx,
    sql`update tasks set status = 'completed', finished_at = now(), updated_at = now(), reserved = 0
        where id = ${taskId} and status = 'sending' and materialize_cursor is null and queued = 0
        returning department_id, (select reserved from tasks t where t.id = ${taskId}) as reserved`,
  );
  const row = finished[0];
  if (row && row.reserved > 0) await releaseQuota(tx, row.department_id, row.reserved);
  return Boolean(row);
}
