import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Database, type Executor } from "@/db/client";
import type { GuardPause } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { recordAudit } from "@/lib/audit/record";
import { readEnv } from "@/lib/config/env";
import { createNotification } from "@/lib/notifications/create";
import { notifyEngine } from "@/lib/dispatch/task-changes";
import { zonedDate } from "@/lib/time/zone";
import { breachOf, readGuardThresholds, type Breach, type GuardThresholds } from "./thresholds";

type GuardedTask = {
  id: string;
  department_id: string;
  name: string;
  status: string;
  guard_override: boolean;
  guard_answers: number;
  guard_hard_bounces: number;
  guard_unknown_users: number;
  complained: number;
  sender_domain: string;
};

/**
 * The reputation guard, run in the transaction that recorded answers about a task (a batch's
 * results, a bounce or complaint that came back): the task's own rates from its counters (one
 * row), then its sender domain's over the rollups of today and yesterday (a handful of rows). A
 * rule past its threshold pauses the task — or every sending task of the domain — unless someone
 * chose to ignore the guard for it. Returns the tasks it paused, for the caller to announce after
 * its commit.
 */
export async function guardTask(tx: Executor, taskId: string): Promise<string[]> {
  const [task] = await queryRows<GuardedTask>(
    tx,
    sql`select t.id, t.department_id, t.name, t.status, t.guard_override, t.guard_answers, t.guard_hard_bounces, t.guard_unknown_users, t.complained,
               lower(split_part(s.address, '@', 2)) as sender_domain
        from tasks t join senders s on s.id = t.sender_id where t.id = ${taskId}`,
  );
  if (!task) return [];
  const thresholds = await readGuardThresholds(tx);
  const paused: string[] = [];
  // A finished task's late bounces and complaints still count for its sender domain.
  if (task.status === "sending" && !task.guard_override) {
    const breach = breachOf({ answers: task.guard_answers, hardBounces: task.guard_hard_bounces, unknownUsers: task.guard_unknown_users, complaints: task.complained }, thresholds);
    if (breach && (await pauseByGuard(tx, task, { ...breach, scope: "task" }))) paused.push(task.id);
  }
  paused.push(...(await guardDomain(tx, task.sender_domain, thresholds)));
  return [...new Set(paused)];
}

/**
 * A sender domain's answers over the rollups of today and yesterday (in FANOUT_TIMEZONE: 24 to 48
 * hours), every department's: answers are what was sent plus what was refused at once (failed
 * less bounced); hard bounces are the unknown users and the rejected.
 */
async function guardDomain(tx: Executor, domain: string, thresholds: GuardThresholds): Promise<string[]> {
  const since = zonedDate(new Date(Date.now() - 24 * 3600_000), readEnv().timeZone);
  const [sums] = await queryRows<{ answers: number; hard: number; unknown: number; complained: number }>(
    tx,
    sql`select coalesce(sum(sent + failed - bounced), 0)::int as answers, coalesce(sum(user_unknown + rejected), 0)::int as hard,
               coalesce(sum(user_unknown), 0)::int as unknown, coalesce(sum(complained), 0)::int as complained
        from delivery_daily_sender where day >= ${since}::date and lower(sender_domain) = ${domain}`,
  );
  const breach = sums && breachOf({ answers: sums.answers, hardBounces: sums.hard, unknownUsers: sums.unknown, complaints: sums.complained }, thresholds);
  if (!breach) return [];
  // Skip locked: another task's row is held by its own recording, whose guard run sees the same sums; waiting for it could deadlock.
  const tasks = await queryRows<GuardedTask>(
    tx,
    sql`select t.id, t.department_id, t.name, t.status, t.guard_override, t.guard_answers, t.guard_hard_bounces, t.guard_unknown_users, t.complained, ${domain} as sender_domain
        from tasks t join senders s on s.id = t.sender_id
        where t.status = 'sending' and not t.guard_override and lower(split_part(s.address, '@', 2)) = ${domain}
        order by t.id for update of t skip locked`,
  );
  const paused: string[] = [];
  for (const task of tasks) if (await pauseByGuard(tx, task, { ...breach, scope: "domain", domain })) paused.push(task.id);
  return paused;
}

async function pauseByGuard(tx: Executor, task: GuardedTask, breach: Breach & { scope: GuardPause["scope"]; domain?: string }): Promise<boolean> {
  const reason: GuardPause = { ...breach, at: new Date().toISOString() };
  const moved = await queryRows<{ id: string }>(
    tx,
    sql`update tasks set status = 'paused', guard_pause = ${JSON.stringify(reason)}::jsonb, updated_at = now()
        where id = ${task.id} and status = 'sending' and not guard_override returning id`,
  );
  if (moved.length === 0) return false;
  await recordAudit(tx, systemActor("reputation guard"), {
    action: "task.guard_pause",
    objectType: "task",
    objectId: task.id,
    departmentId: task.department_id,
    summary: { key: "task.guardPause", params: { name: task.name, guardRule: breach.rule, percent: breach.rate, threshold: breach.threshold, answers: breach.answers } },
  });
  await createNotification(tx, {
    departmentId: task.department_id,
    kind: "guardPause",
    params: { task: task.name, rule: breach.rule, rate: breach.rate, threshold: breach.threshold, answers: breach.answers, scope: breach.scope, domain: breach.domain ?? null },
    link: `/tasks/${task.id}`,
  });
  return true;
}

/**
 * After the commit: tells the engine's driver (the database already stops the claims). The
 * notifications' e-mail copies go with the engine's next round (sendNotificationEmails).
 */
export async function announceGuardPauses(db: Database, taskIds: string[]): Promise<void> {
  if (taskIds.length === 0) return;
  for (const id of taskIds) await notifyEngine("paused", { id }).catch(() => undefined);
}
