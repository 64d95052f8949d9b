import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { AbDecisionRecord, AbPhase, AbTally, AbTestConfig } from "@/db/schema";
import { decideWinner } from "@/lib/campaigns/ab-winner";

/*
 * The A/B test of a task, in the engine (issue 18, decision 0094). A task with `ab_test` walks its
 * audience twice:
 * - "testing": the test share (a stable pseudo-random sample: a hash of contact and task under the
 *   share's percent) gets rows, dealt to the variants in turn, so each variant holds the same number
 *   (±1) of a random sample;
 * - "waiting": every test row has its row, the cursor is back at the start and nothing is
 *   materialised; once the test share's last message is answered the wait starts, and when it is
 *   over the rule decides (or a person chooses, before it or instead of it);
 * - "rest": the walk again, over those outside the sample, each row with no variant: the chosen
 *   one is what they are sent. The task completes as any task does.
 * A contact is in the sample or outside it, never both, and (task, address) is unique: nobody gets
 * two messages.
 */

const HASH_BUCKETS = 100;

/** Whether a contact (`c`) of the task's audience is in its test share: the same answer on every step and every walk. */
export function inTestShare(taskId: string, sharePercent: number): SQL {
  return sql`(mod(mod(hashtextextended(c.id::text || ':' || ${taskId}, 0), ${HASH_BUCKETS}) + ${HASH_BUCKETS}, ${HASH_BUCKETS}) < ${sharePercent})`;
}

/** Who of the audience a materialisation step of a task in `phase` reaches, and which variant each new row gets. */
export type AbStep = { sample: SQL; variants: number | null };

export function abStep(taskId: string, config: AbTestConfig, phase: AbPhase): AbStep | "wait" {
  if (phase === "waiting") return "wait";
  const sample = inTestShare(taskId, config.sharePercent);
  return phase === "testing" ? { sample, variants: config.variants.length } : { sample: sql`not ${sample}`, variants: null };
}

/** Each variant's test rows: sent (accepted, or came back later), and of those people who opened and who clicked (a click counts as an open). */
export async function abTallies(db: Executor, taskId: string, variants: number): Promise<AbTally[]> {
  const rows = await queryRows<{ variant: number; sent: string | number; opened: string | number; clicked: string | number }>(
    db,
    sql`select variant, count(*) filter (where sent) as sent, count(*) filter (where sent and (first_open_at is not null or first_click_at is not null)) as opened,
               count(*) filter (where sent and first_click_at is not null) as clicked
        from (select variant, first_open_at, first_click_at, sent_at is not null and (status in ('sent', 'delivered') or bounced_at is not null) as sent
              from deliveries where task_id = ${taskId} and variant is not null) test
        group by variant`,
  );
  return Array.from({ length: variants }, (_, index) => {
    const row = rows.find((one) => Number(one.variant) === index);
    return { sent: Number(row?.sent ?? 0), opened: Number(row?.opened ?? 0), clicked: Number(row?.clicked ?? 0) };
  });
}

/** The rule's verdict over tallies, on the test's metric. */
export function ruleVerdict(config: AbTestConfig, tallies: AbTally[]): AbDecisionRecord["rule"] {
  return decideWinner(tallies.map((tally) => ({ sent: tally.sent, engaged: config.metric === "opens" ? tally.opened : tally.clicked })));
}

export type AbChoice = { by: "rule" } | { by: "hand"; variant: number; label: string };

/**
 * Ends a waiting test: records each variant's figures, the rule's verdict and the variant the rest
 * get (the rule's, or the one chosen by hand), and moves the task to "rest", where materialisation
 * picks it up. The rule decides only once its time has come. Answers the decision, or null when
 * the task is not waiting (decided already, paused, cancelled) or, for the rule, not yet due.
 */
export async function decideAbTest(db: Executor, taskId: string, choice: AbChoice, now: Date = new Date()): Promise<AbDecisionRecord | null> {
  return db.transaction(async (tx) => {
    const [task] = await queryRows<{ ab_test: AbTestConfig; due: boolean }>(
      tx,
      sql`select ab_test, ab_decide_at is not null and ab_decide_at <= ${now.toISOString()}::timestamptz as due from tasks
          where id = ${taskId} and ab_phase = 'waiting' and status = 'sending' for update`,
    );
    if (!task || (choice.by === "rule" && !task.due)) return null;
    const tallies = await abTallies(tx, taskId, task.ab_test.variants.length);
    const rule = ruleVerdict(task.ab_test, tallies);
    const decision: AbDecisionRecord = {
      tallies,
      rule,
      chosen: choice.by === "rule" ? rule.winner : choice.variant,
      chosenBy: choice.by === "rule" ? "rule" : { label: choice.label },
      at: now.toISOString(),
    };
    await tx.execute(sql`update tasks set ab_phase = 'rest', ab_decision = ${JSON.stringify(decision)}::jsonb, updated_at = now() where id = ${taskId}`);
    return decision;
  });
}

/**
 * The engine's turn at A/B tests (the local runner each round, the Inngest reconciler each
 * minute): starts the wait of tests whose share has all been answered, and lets the rule decide
 * those whose wait is over (tests decided by hand only wait). Answers the waits started (for a
 * timer to wake at `decideAt`) and the tasks decided (now to be materialised further).
 */
export async function advanceAbTests(db: Executor, now: Date = new Date()): Promise<{ waiting: { taskId: string; decideAt: string }[]; decided: string[] }> {
  const at = now.toISOString();
  const waiting = await queryRows<{ id: string; decide_at: Date | string }>(
    db,
    sql`update tasks set ab_test_sent_at = ${at}::timestamptz,
               ab_decide_at = ${at}::timestamptz + (ab_test->>'waitHours')::numeric * interval '1 hour', updated_at = now()
        where ab_phase = 'waiting' and status = 'sending' and ab_test_sent_at is null and queued = 0
        returning id, ab_decide_at as decide_at`,
  );
  const due = await queryRows<{ id: string }>(
    db,
    sql`select id from tasks where ab_phase = 'waiting' and status = 'sending' and ab_test->>'winnerBy' = 'rule' and ab_decide_at <= ${at}::timestamptz order by ab_decide_at limit 20`,
  );
  const decided: string[] = [];
  for (const { id } of due) if (await decideAbTest(db, id, { by: "rule" }, now)) decided.push(id);
  return { waiting: waiting.map((row) => ({ taskId: row.id, decideAt: new Date(row.decide_at).toISOString() })), decided };
}
