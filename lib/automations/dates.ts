import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { AutomationTrigger } from "@/db/schema";
import { readEnv } from "@/lib/config/env";
import { enrolOnEvent } from "@/lib/triggers/enrol";

/*
 * Date triggers (a birthday, a renewal): once a day per automation, in the company's zone, the
 * contacts whose date attribute (YYYY-MM-DD) comes round in `daysBefore` days are enrolled, the
 * day naming the event, so a second look the same day enrols nobody again. The attribute is
 * compared as text (`____-__-__`), never cast: a malformed value is no date rather than an error.
 */

const DAY_MS = 86_400_000;

/** The calendar day of `at` in `timeZone`, YYYY-MM-DD. */
export function dayIn(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Looks at each active date-triggered automation not yet looked at today; answers the contacts enrolled. */
export async function enrolDateTriggers(db: Executor, now: Date = new Date()): Promise<number> {
  const today = dayIn(now, readEnv().timeZone);
  const due = await queryRows<{ id: string; department_id: string; trigger: Extract<AutomationTrigger, { type: "date_attribute" }> }>(
    db,
    sql`select id, department_id, trigger from automations
        where status = 'active' and trigger->>'type' = 'date_attribute' and (dates_scanned_on is null or dates_scanned_on < ${today})`,
  );
  let enrolled = 0;
  for (const automation of due) {
    const { attribute, yearly, daysBefore } = automation.trigger;
    const target = addDays(today, daysBefore);
    const value = sql`c.attributes->>${attribute}`;
    const comesRound = yearly ? sql`${value} like '____-__-__' and substr(${value}, 6, 5) = ${target.slice(5)}` : sql`${value} = ${target}`;
    enrolled += await db.transaction(async (tx) => {
      const claimed = await queryRows<{ id: string }>(
        tx,
        sql`update automations set dates_scanned_on = ${today} where id = ${automation.id} and (dates_scanned_on is null or dates_scanned_on < ${today}) returning id`,
      );
      if (claimed.length === 0) return 0;
      return enrolOnEvent(
        tx,
        automation.department_id,
        { type: "date_attribute", automationId: automation.id, day: today },
        sql`select c.id as contact_id from contacts c where c.department_id = ${automation.department_id} and c.status = 'active' and ${comesRound}`,
        now,
      );
    });
  }
  return enrolled;
}
