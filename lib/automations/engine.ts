import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { toArray } from "@/db/sql";
import type { AutomationStep } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { AppError } from "@/lib/errors";
import { sendMessage } from "@/lib/messages/send";
import { enrolDateTriggers } from "./dates";

/*
 * The automations' engine (issue 18, decision 0096). An enrolment is a ledger row: the step it is
 * at and when that step is due. Running a step is one transaction that locks the enrolment, does
 * the step's work (a message accepted into the messages lane, tags changed, a branch decided),
 * writes the step's run (primary key: enrolment and step, so it can be written once) and moves the
 * enrolment on. A crash before the commit leaves nothing done; after it, everything: no step is
 * lost or repeated, whichever runner (the local runner's rounds, Inngest's functions) gets there,
 * and however many at once (a locked enrolment is skipped). A paused automation's enrolments wait
 * where they are.
 */

const HOUR_MS = 3_600_000;
/** Steps one enrolment may run in one go before the others get a turn (a series has at most this many steps anyway). */
const MAX_STEPS_AT_ONCE = 50;

type EnrolmentRow = {
  id: number;
  contact_id: number;
  department_id: string;
  step: number;
  status: string;
  due: boolean;
  due_at: Date | string;
  steps: AutomationStep[];
  sender_id: string;
  automation_status: string;
  email: string;
  name: string;
  attributes: Record<string, string> | null;
};

/** The enrolments `where` picks (over e, a and c), with their automation and contact, locked: one held by another runner is left out. */
function lockEnrolments(tx: Executor, where: SQL, now: Date): Promise<EnrolmentRow[]> {
  return queryRows<EnrolmentRow>(
    tx,
    sql`select e.id, e.contact_id, e.department_id, e.step, e.status, e.due_at <= ${now.toISOString()}::timestamptz as due, e.due_at,
               a.steps, a.sender_id, a.status as automation_status, c.email, c.name, c.attributes
        from automation_enrolments e join automations a on a.id = e.automation_id join contacts c on c.id = e.contact_id
        where ${where} order by e.id for update of e skip locked`,
  );
}

export type Advance = { state: "waiting"; dueAt: string } | { state: "done" | "stopped" | "paused" | "busy" | "gone" };

/**
 * Runs an enrolment's due steps, one transaction each, until it must wait (answers when), ends,
 * or is not this caller's to run now (paused, taken by another runner, already finished).
 */
export async function advanceEnrolment(db: Executor, enrolmentId: number, now: Date = new Date()): Promise<Advance> {
  for (let ran = 0; ran < MAX_STEPS_AT_ONCE; ran++) {
    const outcome = await db.transaction((tx) => runOneStep(tx, enrolmentId, now));
    if (outcome !== "ran") return outcome;
  }
  return { state: "busy" };
}

async function runOneStep(tx: Executor, enrolmentId: number, now: Date): Promise<Advance | "ran"> {
  const [row] = await lockEnrolments(tx, sql`e.id = ${enrolmentId}`, now);
  if (!row) {
    const [exists] = await queryRows<{ id: number }>(tx, sql`select id from automation_enrolments where id = ${enrolmentId}`);
    return { state: exists ? "busy" : "gone" };
  }
  if (row.status !== "active") return { state: row.status === "done" ? "done" : "stopped" };
  if (row.automation_status !== "active") return { state: "paused" };
  if (!row.due) return { state: "waiting", dueAt: new Date(row.due_at).toISOString() };
  const step = row.steps[row.step];
  if (!step) {
    await tx.execute(sql`update automation_enrolments set status = 'done', finished_at = ${now.toISOString()}::timestamptz where id = ${enrolmentId}`);
    return { state: "done" };
  }
  const done = await perform(tx, row, step, now);
  await tx.execute(
    sql`insert into automation_step_runs (enrolment_id, step, ran_at, task_id, outcome) values (${enrolmentId}, ${row.step}, ${now.toISOString()}::timestamptz, ${done.taskId ?? null}, ${done.outcome})`,
  );
  if (done.stop) {
    await tx.execute(sql`update automation_enrolments set status = 'stopped', note = ${done.stop}, finished_at = ${now.toISOString()}::timestamptz where id = ${enrolmentId}`);
    return { state: "stopped" };
  }
  const next = done.next ?? row.step + 1;
  const dueAt = done.dueAt ?? now;
  if (next < 0 || next >= row.steps.length) {
    await tx.execute(sql`update automation_enrolments set step = ${Math.max(next, row.step + 1)}, status = 'done', finished_at = ${now.toISOString()}::timestamptz where id = ${enrolmentId}`);
    return { state: "done" };
  }
  await tx.execute(sql`update automation_enrolments set step = ${next}, due_at = ${dueAt.toISOString()}::timestamptz where id = ${enrolmentId}`);
  return done.dueAt ? { state: "waiting", dueAt: dueAt.toISOString() } : "ran";
}

type Performed = { outcome: string; taskId?: string; next?: number; dueAt?: Date; stop?: string };

async function perform(tx: Executor, row: EnrolmentRow, step: AutomationStep, now: Date): Promise<Performed> {
  switch (step.type) {
    case "wait":
      return { outcome: "waited", dueAt: new Date(now.getTime() + step.hours * HOUR_MS) };
    case "send":
      try {
        const sent = await sendMessage(
          { db: tx, actor: systemActor("automation") },
          { templateId: step.templateId, senderId: row.sender_id, to: [{ email: row.email, name: row.name, data: row.attributes ?? {} }], departmentId: row.department_id },
        );
        return { outcome: "sent", taskId: sent.taskId };
      } catch (error) {
        // What would refuse it tomorrow too (no quota, a template gone or broken) ends the series here, saying why.
        if (error instanceof AppError) return { outcome: "refused", stop: `${error.code}: ${error.reason}` };
        throw error;
      }
    case "tag":
      await changeTags(tx, row, step);
      return { outcome: "tagged" };
    case "branch": {
      const column = step.on === "opened" ? sql`coalesce(d.first_open_at, d.first_click_at)` : sql`d.first_click_at`;
      const [engaged] = await queryRows<{ yes: boolean }>(
        tx,
        sql`select exists (select 1 from automation_step_runs r join deliveries d on d.task_id = r.task_id and d.email = ${row.email}
            where r.enrolment_id = ${row.id} and r.step = ${step.sendStep} and ${column} is not null) as yes`,
      );
      const yes = engaged?.yes === true;
      const next = yes ? step.yes : step.no;
      return { outcome: yes ? "yes" : "no", next: next ?? -1 };
    }
  }
}

/** A tag step: the department's tags of those names put on and taken off the contact (a name not yet a tag is made). */
async function changeTags(tx: Executor, row: EnrolmentRow, step: Extract<AutomationStep, { type: "tag" }>) {
  for (const name of step.add) {
    await tx.execute(sql`insert into tags (department_id, name) values (${row.department_id}, ${name}) on conflict do nothing`);
    await tx.execute(sql`insert into contact_tags (tag_id, contact_id) select id, ${row.contact_id} from tags where department_id = ${row.department_id} and lower(name) = lower(${name}) on conflict do nothing`);
  }
  for (const name of step.remove) {
    await tx.execute(sql`delete from contact_tags where contact_id = ${row.contact_id} and tag_id in (select id from tags where department_id = ${row.department_id} and lower(name) = lower(${name}))`);
  }
}

/** Active enrolments of active automations whose step is due, oldest first. */
export async function dueEnrolments(db: Executor, now: Date = new Date(), limit = 200): Promise<number[]> {
  return (await dueWithSteps(db, now, limit)).map((row) => row.id);
}

type Due = { id: number; automationId: string; step: number; sends: boolean };

async function dueWithSteps(db: Executor, now: Date, limit: number): Promise<Due[]> {
  const rows = await queryRows<{ id: string | number; automation_id: string; step: number; sends: boolean }>(
    db,
    sql`select e.id, e.automation_id, e.step, coalesce(a.steps->e.step->>'type' = 'send', false) as sends
        from automation_enrolments e join automations a on a.id = e.automation_id
        where e.status = 'active' and e.due_at <= ${now.toISOString()}::timestamptz and a.status = 'active'
        order by e.due_at, e.id limit ${limit}`,
  );
  return rows.map((row) => ({ id: Number(row.id), automationId: row.automation_id, step: Number(row.step), sends: row.sends }));
}

/** The most recipients one grouped send takes: a message of the messages API holds at most 100. */
const SEND_GROUP = 100;

/**
 * Due enrolments at the same send step of the same automation, sent as one message to all of them
 * (one transaction: the message with a delivery each, their step runs, their moves on), so a burst
 * of a thousand subscribers is ten messages of a hundred rather than a thousand of one. A group
 * the messages API refuses (one person's data a template cannot render, the quota short) is sent
 * one by one instead, so only the ones that cannot be sent stop. Answers the enrolments that moved.
 */
async function sendGroup(db: Executor, ids: number[], automationId: string, stepIndex: number, now: Date): Promise<number[]> {
  try {
    return await db.transaction(async (tx) => {
      const rows = await lockEnrolments(
        tx,
        sql`e.id = any(${toArray(ids)}::bigint[]) and e.automation_id = ${automationId} and e.step = ${stepIndex} and e.status = 'active'
            and e.due_at <= ${now.toISOString()}::timestamptz and a.status = 'active'`,
        now,
      );
      const step = rows[0]?.steps[stepIndex];
      if (!step || step.type !== "send") return [];
      const sent = await sendMessage(
        { db: tx, actor: systemActor("automation") },
        { templateId: step.templateId, senderId: rows[0]!.sender_id, to: rows.map((row) => ({ email: row.email, name: row.name, data: row.attributes ?? {} })), departmentId: rows[0]!.department_id },
      );
      const moved = rows.map((row) => Number(row.id));
      await tx.execute(
        sql`insert into automation_step_runs (enrolment_id, step, ran_at, task_id, outcome)
            select id, ${stepIndex}, ${now.toISOString()}::timestamptz, ${sent.taskId}, 'sent' from unnest(${toArray(moved)}::bigint[]) as id`,
      );
      // Moved on and due now: the one-by-one pass that follows runs their next steps, or marks the last one's series done.
      await tx.execute(sql`update automation_enrolments set step = step + 1, due_at = ${now.toISOString()}::timestamptz where id = any(${toArray(moved)}::bigint[])`);
      return moved;
    });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return [];
  }
}

/**
 * The engine's turn at automations (the local runner each round; under Inngest the reconciler each
 * minute, behind the functions woken by enrolments): every due enrolment advanced until it waits
 * or ends, `concurrency` at once. Answers how many were advanced.
 */
export async function advanceAutomations(db: Executor, now: Date = new Date(), options: { concurrency?: number; limit?: number } = {}): Promise<number> {
  await enrolDateTriggers(db, now);
  const due = await dueWithSteps(db, now, options.limit ?? 200);
  // Those at a send step go in groups first (a group that could not be sent is left to go one by one below).
  const groups = new Map<string, Due[]>();
  for (const row of due.filter((one) => one.sends)) groups.set(`${row.automationId}:${row.step}`, [...(groups.get(`${row.automationId}:${row.step}`) ?? []), row]);
  for (const group of groups.values()) {
    for (let start = 0; start < group.length; start += SEND_GROUP) {
      const chunk = group.slice(start, start + SEND_GROUP);
      await sendGroup(db, chunk.map((row) => row.id), chunk[0]!.automationId, chunk[0]!.step, now);
    }
  }
  // Then every one of them on its own, until it waits or ends: the rest of a grouped one's steps, and the others'.
  let next = 0;
  const worker = async () => {
    while (next < due.length) await advanceEnrolment(db, due[next++]!.id, now);
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, due.length) }, worker));
  return due.length;
}
