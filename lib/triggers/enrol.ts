import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";

/*
 * Enrolment: a trigger event puts the contacts it concerns into the department's automations with
 * that trigger, in the transaction of the event itself (a subscription, a tag added, a first click),
 * so an event that is undone enrols nobody and one that happens enrols each contact once: the event's
 * key is unique per automation and contact, and a retried request that changes nothing (an address
 * already in the pool, a tag already on) is no event. A paused automation enrols too: its enrolments
 * wait and go on when it is resumed.
 */

export type TriggerEvent =
  | { type: "subscribed"; poolId: string }
  | { type: "tag_added"; tagId: string }
  | { type: "clicked"; taskId: string }
  | { type: "date_attribute"; automationId: string; day: string };

function matches(event: TriggerEvent): SQL {
  switch (event.type) {
    case "subscribed":
      return sql`a.trigger->>'type' = 'subscribed' and a.trigger->>'poolId' = ${event.poolId}`;
    case "tag_added":
      return sql`a.trigger->>'type' = 'tag_added' and a.trigger->>'tagId' = ${event.tagId}`;
    case "clicked":
      return sql`a.trigger->>'type' = 'clicked' and a.trigger->>'taskId' = ${event.taskId}`;
    case "date_attribute":
      return sql`a.id = ${event.automationId}`;
  }
}

/** What names the event for each contact: the same subscription or tag twice is two events only when it happened twice. */
function eventKey(event: TriggerEvent, at: Date): string {
  switch (event.type) {
    case "subscribed":
      return `subscribed:${event.poolId}:${at.toISOString()}`;
    case "tag_added":
      return `tag:${event.tagId}:${at.toISOString()}`;
    case "clicked":
      // A person's first click on the task's message happens once.
      return `clicked:${event.taskId}`;
    case "date_attribute":
      return `date:${event.day}`;
  }
}

/**
 * Enrols the contacts `contactIds` selects (a statement answering `contact_id`, all of
 * `departmentId`) into the department's automations the event triggers. Answers the new enrolments.
 */
export async function enrolOnEvent(tx: Executor, departmentId: string, event: TriggerEvent, contactIds: SQL, at: Date = new Date()): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    tx,
    sql`with enrolled as (
          insert into automation_enrolments (automation_id, department_id, contact_id, trigger_key, due_at, enrolled_at)
          select a.id, a.department_id, t.contact_id, ${eventKey(event, at)}, ${at.toISOString()}::timestamptz, ${at.toISOString()}::timestamptz
          from automations a cross join (${contactIds}) t
          where a.department_id = ${departmentId} and ${matches(event)}
          on conflict do nothing returning 1)
        select count(*)::int as n from enrolled`,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * The statement that enrols, for each (tag_id, contact_id) row of `added` (a CTE of the caller's
 * statement that put tags on), the contact into the department's automations started by that tag:
 * part of the same statement, so tagging a hundred thousand contacts stays one statement.
 */
export function tagAddedEnrolments(departmentId: string, added: SQL, at: Date = new Date()): SQL {
  return sql`insert into automation_enrolments (automation_id, department_id, contact_id, trigger_key, due_at, enrolled_at)
    select a.id, a.department_id, x.contact_id, 'tag:' || x.tag_id::text || ':' || ${at.toISOString()}, ${at.toISOString()}::timestamptz, ${at.toISOString()}::timestamptz
    from ${added} x join automations a on a.department_id = ${departmentId} and a.trigger->>'type' = 'tag_added' and a.trigger->>'tagId' = x.tag_id::text
    on conflict do nothing returning 1`;
}
