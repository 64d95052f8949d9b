import "server-only";
import type { AbDecisionRecord, AbTally, AbTestConfig, Task } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { recordAudit } from "@/lib/audit/record";
import { notifyEngine } from "@/lib/dispatch/task-changes";
import { conflict, invalidInput } from "@/lib/errors";
import { abTallies, decideAbTest, ruleVerdict } from "./ab-test";
import { variantLetter } from "./ab-test-check";
import { loadTask } from "./tasks";
import { taskView, type TaskView } from "./task-view";

/*
 * The A/B test as people finish it (issue 18, decision 0094): the winner chosen by hand, and what
 * the task's report shows. What a test may be is ab-test-check.ts; the engine's side is ab-test.ts.
 */

/**
 * Ends a waiting test by hand: `variant` goes to the rest, whatever the rule says (the report keeps
 * both). Only once the test share has all been answered, and while the task sends.
 */
export async function chooseAbWinner(ctx: Ctx, taskId: string, variant: number): Promise<TaskView> {
  const task = await loadTask(ctx, taskId, "tasks.manage");
  if (!task.abTest) throw invalidInput("abTestMissing", { field: "id" });
  if (task.abPhase !== "waiting") throw conflict("abNotWaiting");
  if (task.status !== "sending") throw conflict("taskWrongStatus", { params: { status: task.status, needed: "sending" } });
  if (!task.abTestSentAt) throw conflict("abTestStillSending");
  if (!Number.isInteger(variant) || variant < 0 || variant >= task.abTest.variants.length) {
    throw invalidInput("abVariantUnknown", { field: "variant", params: { variant: String(variant) } });
  }
  const decision = await ctx.db.transaction(async (tx) => {
    const made = await decideAbTest(tx, taskId, { by: "hand", variant, label: ctx.actor.label });
    if (!made) throw conflict("abNotWaiting");
    await recordAudit(tx, ctx.actor, {
      action: "task.ab_winner",
      objectType: "task",
      objectId: taskId,
      departmentId: task.departmentId,
      summary: { key: "task.abWinner", params: { name: task.name, variant: variantLetter(variant), rule: variantLetter(made.rule.winner) } },
    });
    return made;
  });
  await notifyEngine("resumed", { id: taskId, scheduledAt: task.scheduledAt });
  return taskView({ ...task, abPhase: "rest", abDecision: decision });
}

export type AbReport = {
  config: AbTestConfig;
  phase: Task["abPhase"];
  testSentAt: string | null;
  decideAt: string | null;
  /** Each variant's test share figures now. */
  tallies: AbTally[];
  /** What the rule would say on them now (while waiting); the decision once made. */
  verdict: AbDecisionRecord["rule"] | null;
  decision: AbDecisionRecord | null;
};

/** The A/B section of a task's report, or null for a task without a test. */
export async function abReport(ctx: Ctx, task: Task): Promise<AbReport | null> {
  if (!task.abTest) return null;
  const tallies = await abTallies(ctx.db, task.id, task.abTest.variants.length);
  return {
    config: task.abTest,
    phase: task.abPhase,
    testSentAt: task.abTestSentAt?.toISOString() ?? null,
    decideAt: task.abDecideAt?.toISOString() ?? null,
    tallies,
    verdict: task.abDecision?.rule ?? (tallies.some((tally) => tally.sent > 0) ? ruleVerdict(task.abTest, tallies) : null),
    decision: task.abDecision,
  };
}
