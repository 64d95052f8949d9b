import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { toArray } from "@/db/sql";
import { candidatesQuery, nextCandidates, type Audience, type Candidate } from "./recipients";
import { plannedBatchNo, plannedSendColumns, type SendTimePlan } from "./send-time";

/**
 * The delivery rows one materialisation step wrote, in contact id order: how many wait to be sent
 * and how many were suppressed, the quota units the waiting ones hold (one each; an SMS its
 * segments), the first row's id (the step's rows are this task's rows from it on: the task row is
 * locked while a step runs), the last contact taken (where the cursor moves), and whether the
 * audience or the task's limit ended here.
 */
export type StepRows = { firstId: number | null; lastContactId: number | null; queued: number; suppressed: number; units: number; ended: boolean };

/**
 * Where a step starts and what bounds it. `limitLeft` null: no recipient limit. `variants`: an A/B
 * test's share deals its sendable rows to this many variants in turn (0 = A); absent: no variant.
 */
export type StepBounds = {
  taskId: string;
  cursor: number;
  step: number;
  limitLeft: number | null;
  sendableSoFar: number;
  batchSize: number;
  variants?: number | null;
  /** Send-time optimisation (send-time.ts): each row waits for its contact's best hour, its batch numbered by that hour. */
  sendTime?: SendTimePlan | null;
};

type CountsRow = { first_id: string | number | null; last_contact_id: string | number | null; queued: string | number; suppressed: string | number; units: string | number | null };

const stepCounts = (row: CountsRow | undefined): Omit<StepRows, "ended"> => ({
  firstId: row?.first_id == null ? null : Number(row.first_id),
  lastContactId: row?.last_contact_id == null ? null : Number(row.last_contact_id),
  queued: Number(row?.queued ?? 0),
  suppressed: Number(row?.suppressed ?? 0),
  units: Number(row?.units ?? 0),
});

/**
 * A mail task's step in one statement: the audience's next contacts go from contacts into
 * deliveries inside Postgres, numbered into batches there, never read into this process (mail's
 * rows need nothing rendered). The first sendable contact beyond the task's limit ends the step,
 * before it, as the rendered path does.
 */
export async function insertMailRows(tx: Executor, audience: Audience, bounds: StepBounds): Promise<StepRows> {
  const batchInOrder = sql`((${bounds.sendableSoFar}::bigint + position - 1) / ${bounds.batchSize}::int)::int`;
  const plan = bounds.sendTime;
  // A planned step's send times are computed once a row (materialized): inlined, the planner ran each row's history lookup for every use of send_at, nine times slower.
  const [row] = await queryRows<CountsRow & { picked: string | number; kept: string | number }>(
    tx,
    sql`with picked as materialized (${candidatesQuery(audience, bounds.cursor, bounds.step)}),
      ranked as (select id, email, suppressed, count(*) filter (where not suppressed) over (order by id) as position from picked),
      beyond as (select min(id) as id from ranked where not suppressed and position > ${bounds.limitLeft}::bigint),
      kept as (select ranked.* from ranked, beyond where beyond.id is null or ranked.id < beyond.id),
      timed as ${plan ? sql`materialized (select kept.*, ${plannedSendColumns(plan)} from kept join contacts c on c.id = kept.id)` : sql`(select kept.*, now() as send_at from kept)`},
      inserted as (
        insert into deliveries (task_id, department_id, contact_id, email, status, batch_no, variant, next_attempt_at)
        select ${bounds.taskId}, ${audience.departmentId}, id, email, case when suppressed then 'suppressed' else 'queued' end,
               case when suppressed then -1 else ${plan ? plannedBatchNo(plan, batchInOrder) : batchInOrder} end,
               ${bounds.variants ? sql`case when suppressed then null else ((${bounds.sendableSoFar}::bigint + position - 1) % ${bounds.variants}::int)::smallint end` : sql`null::smallint`},
               send_at
        from timed order by id
        on conflict (task_id, email) do nothing
        returning id, status)
      select (select count(*) from picked) as picked, (select count(*) from kept) as kept, (select max(id) from kept) as last_contact_id,
             min(id) as first_id, count(*) filter (where status = 'queued') as queued, count(*) filter (where status = 'suppressed') as suppressed,
             count(*) filter (where status = 'queued') as units
      from inserted`,
  );
  const picked = Number(row?.picked ?? 0);
  return { ...stepCounts(row), ended: picked < bounds.step || Number(row?.kept ?? 0) < picked };
}

type RenderedRow = { contactId: number; email: string; address: string | null; segments: number | null; status: "queued" | "suppressed"; batchNo: number };

/**
 * A channel task's step: the candidates are read here, where each SMS is rendered to count its
 * segments (`costOf`), and written back in one insert.
 */
export async function insertRenderedRows(tx: Executor, audience: Audience, bounds: StepBounds, costOf: (candidate: Candidate) => number | null): Promise<StepRows> {
  const candidates = await nextCandidates(tx, audience, bounds.cursor, bounds.step);
  const limitLeft = bounds.limitLeft ?? Number.POSITIVE_INFINITY;
  const rows: RenderedRow[] = [];
  let sendable = 0;
  let ended = candidates.length < bounds.step;
  for (const candidate of candidates) {
    if (!candidate.suppressed && sendable >= limitLeft) {
      ended = true;
      break;
    }
    const batchNo = candidate.suppressed ? -1 : Math.floor((bounds.sendableSoFar + sendable) / bounds.batchSize);
    if (!candidate.suppressed) sendable++;
    const status = candidate.suppressed ? "suppressed" : "queued";
    rows.push({ contactId: candidate.id, email: candidate.email, address: candidate.address, segments: status === "queued" ? costOf(candidate) : null, status, batchNo });
  }
  if (rows.length === 0) return { firstId: null, lastContactId: null, queued: 0, suppressed: 0, units: 0, ended };
  const [row] = await queryRows<CountsRow>(
    tx,
    sql`with inserted as (
        insert into deliveries (task_id, department_id, contact_id, email, address, segments, status, batch_no)
        select ${bounds.taskId}, ${audience.departmentId}, r.contact_id, r.email, r.address, r.segments, r.status, r.batch_no
        from unnest(${toArray(rows.map((one) => one.contactId))}::bigint[], ${toArray(rows.map((one) => one.email))}::text[],
                    ${toArray(rows.map((one) => one.address))}::text[], ${toArray(rows.map((one) => one.segments))}::int[],
                    ${toArray(rows.map((one) => one.status))}::text[], ${toArray(rows.map((one) => one.batchNo))}::int[])
             as r(contact_id, email, address, segments, status, batch_no)
        order by r.contact_id
        on conflict (task_id, email) do nothing
        returning id, status, segments)
      select min(id) as first_id, ${rows.at(-1)!.contactId}::bigint as last_contact_id, count(*) filter (where status = 'queued') as queued,
             count(*) filter (where status = 'suppressed') as suppressed, sum(coalesce(segments, 1)) filter (where status = 'queued') as units
      from inserted`,
  );
  return { ...stepCounts(row), ended };
}

/**
 * Cuts a step's rows after the waiting ones whose units fit `units` (the quota there was): the
 * first that does not fit and every row after it are deleted, in the same transaction that wrote
 * them. Answers what is left of the step.
 */
export async function trimStepToUnits(tx: Executor, taskId: string, firstId: number, units: number): Promise<Omit<StepRows, "ended">> {
  const stepRows: SQL = sql`deliveries where task_id = ${taskId} and id >= ${firstId}`;
  await tx.execute(sql`
    with running as (
      select id, status, sum(case when status = 'queued' then coalesce(segments, 1) else 0 end) over (order by id) as used from ${stepRows}),
    boundary as (select min(id) as id from running where status = 'queued' and used > ${units})
    delete from deliveries d using boundary where boundary.id is not null and d.task_id = ${taskId} and d.id >= boundary.id`);
  const [row] = await queryRows<CountsRow>(
    tx,
    sql`select min(id) as first_id, max(contact_id) as last_contact_id, count(*) filter (where status = 'queued') as queued,
               count(*) filter (where status = 'suppressed') as suppressed, sum(coalesce(segments, 1)) filter (where status = 'queued') as units
        from ${stepRows}`,
  );
  return stepCounts(row);
}
