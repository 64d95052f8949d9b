import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { toArray } from "@/db/sql";

/*
 * Send-time optimisation (issue 18, decision 0095): a task that delivers within the 24 hours after
 * it starts, each recipient at the hour of day they have opened and clicked most, in their own time
 * zone. Materialisation plans it: each row's next_attempt_at is the first time that hour begins
 * (now, if it is that hour already), and its batch number starts with the hour, so the engine's
 * claims take one hour's batches at a time and a row is claimed only once its time has come.
 * Quota is reserved for everyone up front, as for any task.
 *
 * - A contact's zone is its `timezone` attribute when the database knows the name, else the company's
 *   (FANOUT_TIMEZONE).
 * - Its best hour is the hour of day (in its zone) of most of its people's first opens and first
 *   clicks in any task (a tie: the earlier hour); machine opens and scanner clicks never set those.
 * - Without a history of its own, the department's best hour: the same over the department's latest
 *   engaged deliveries, each in its contact's zone. Without any history at all: at once.
 */

/** The window a task with send-time optimisation delivers within, from its start. */
export const SEND_TIME_WINDOW_HOURS = 24;
/** Batch numbers of an hour's rows start at hour × this: a claim takes rows of one hour (and batch) at a time. */
const HOUR_BATCHES = 10_000_000;
/** The department's best hour is learned from its latest this many engaged deliveries. */
const DEPARTMENT_SAMPLE = 10_000;

/** `zones`: the names the database knows (knownZones). */
export type SendTimePlan = { start: Date; companyZone: string; departmentHour: number | null; zones: readonly string[] };

const zoneLists = new Map<string, Promise<string[]>>();

/**
 * The zone names the database knows, read once per process and server version: pg_timezone_names
 * reads every zone file on each call (most of a second), which per materialisation step made
 * planning 30 times slower than writing the rows (the campaigns benchmark).
 */
export async function knownZones(db: Executor): Promise<readonly string[]> {
  const [server] = await queryRows<{ version: string }>(db, sql`select current_setting('server_version') as version`);
  const key = server?.version ?? "";
  let list = zoneLists.get(key);
  if (!list) {
    list = queryRows<{ name: string }>(db, sql`select name from pg_timezone_names`).then((rows) => rows.map((row) => row.name));
    zoneLists.set(key, list);
    list.catch(() => zoneLists.delete(key));
  }
  return list;
}

/** The zone of contact `c`: its `timezone` attribute when the database knows that zone, else the company's. */
function zoneOf(companyZone: string, zones: readonly string[]): SQL {
  return sql`case when c.attributes->>'timezone' = any(${toArray([...zones])}::text[]) then c.attributes->>'timezone' else ${companyZone} end`;
}

/** The hour of day (0–23, in `zone`) of most of the human first opens and clicks of the deliveries `deliveriesOf` selects (aliased d). */
function modalHour(deliveriesOf: SQL, zone: SQL): SQL {
  return sql`(select extract(hour from e.at at time zone ${zone})::int from (
      select d.first_open_at as at from ${deliveriesOf} and d.first_open_at is not null
      union all select d.first_click_at from ${deliveriesOf} and d.first_click_at is not null) e
    group by 1 order by count(*) desc, 1 limit 1)`;
}

/** The department's best hour (each engagement in its contact's zone), or null when nobody in it ever opened or clicked. */
export async function departmentBestHour(db: Executor, departmentId: string, companyZone: string, zones: readonly string[]): Promise<number | null> {
  const [row] = await queryRows<{ hour: number | null }>(
    db,
    sql`select extract(hour from e.at at time zone e.zone)::int as hour from (
          select coalesce(d.first_open_at, d.first_click_at) as at, ${zoneOf(companyZone, zones)} as zone
          from deliveries d join contacts c on c.id = d.contact_id
          where d.department_id = ${departmentId} and (d.first_open_at is not null or d.first_click_at is not null)
          order by d.id desc limit ${DEPARTMENT_SAMPLE}) e
        group by 1 order by count(*) desc, 1 limit 1`,
  );
  return row?.hour ?? null;
}

/** For the row of contact `c` (joined by the caller): when it is sent, as the select-list item `send_at`. */
export function plannedSendColumns(plan: SendTimePlan): SQL {
  const start = sql`${plan.start.toISOString()}::timestamptz`;
  const zone = zoneOf(plan.companyZone, plan.zones);
  const hour = sql`coalesce(${modalHour(sql`deliveries d where d.contact_id = c.id`, zone)}, ${plan.departmentHour}::int)`;
  // The first moment hour H begins in the zone at or after the start: today's, or tomorrow's when today's has passed (now, if it is H already).
  const localStart = sql`(${start} at time zone tz.zone)`;
  const slot = sql`case when tz.hour is null then ${start}
      when tz.hour = extract(hour from ${localStart}) then ${start}
      when tz.hour > extract(hour from ${localStart}) then (date_trunc('day', ${localStart}) + tz.hour * interval '1 hour') at time zone tz.zone
      else (date_trunc('day', ${localStart}) + interval '1 day' + tz.hour * interval '1 hour') at time zone tz.zone end`;
  // A 25-hour day (daylight saving ends) could put tomorrow's hour just beyond the window: the window's last minute then.
  const sendAt = sql`least(${slot}, ${start} + ${SEND_TIME_WINDOW_HOURS} * interval '1 hour' - interval '1 minute')`;
  return sql`(select ${sendAt} from (select ${zone} as zone, ${hour} as hour) tz) as send_at`;
}

/** A planned row's batch number: its hour in the window first, then its place among the task's rows. */
export function plannedBatchNo(plan: SendTimePlan, batchInOrder: SQL): SQL {
  return sql`(floor(extract(epoch from (send_at - ${plan.start.toISOString()}::timestamptz)) / 3600)::int * ${HOUR_BATCHES} + ${batchInOrder})::int`;
}
