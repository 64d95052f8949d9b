import type { Task } from "@/db/schema";
import { variantLetter } from "@/lib/campaigns/ab-winner";

/** A task's A/B test as the API answers it: variants named by letter. */
function abTestView(task: Task) {
  if (!task.abTest || !task.abPhase) return null;
  const decision = task.abDecision;
  return {
    ...task.abTest,
    phase: task.abPhase,
    testSentAt: task.abTestSentAt?.toISOString() ?? null,
    decideAt: task.abDecideAt?.toISOString() ?? null,
    decision: decision
      ? {
          chosen: variantLetter(decision.chosen),
          chosenBy: decision.chosenBy === "rule" ? "rule" : decision.chosenBy.label,
          at: decision.at,
          tallies: decision.tallies,
          rule: {
            winner: variantLetter(decision.rule.winner),
            clear: decision.rule.clear,
            reason: decision.rule.reason,
            rates: decision.rule.rates,
            comparisons: decision.rule.comparisons.map((comparison) => ({ ...comparison, against: variantLetter(comparison.against) })),
            threshold: decision.rule.threshold,
          },
        }
      : null,
  };
}

/** The task as API.md answers it, plus what the console shows. */
export function taskView(task: Task) {
  return {
    id: task.id,
    name: task.name,
    status: task.status,
    /** "campaign" (a template and pools), "smtp" (one message a group-send client submitted through the SMTP entrance), "message" (the transactional API) or "group" (a post to a group address, sent on to its members). */
    kind: task.kind,
    /** What it sends over: "email", or "sms" or "whatsapp" (no sender: senderId is null). */
    channel: task.channel,
    departmentId: task.departmentId,
    /** Null for an smtp task, as is its templateVersion 0; the submitting account is smtpAccountId. */
    templateId: task.templateId,
    templateVersion: task.templateVersion,
    poolIds: task.poolIds ?? ("all" as const),
    /** Saved segments it also sends to, and what each held when materialisation began (null until then). */
    segmentIds: task.segmentIds,
    segmentCounts: task.segmentCounts,
    /** A follow-up ("resend to non-openers"): the task whose non-openers it sends to, when it starts; null otherwise. */
    followUpOf: task.followUpOf,
    /** The subject sent instead of the template version's (a follow-up's new subject); null: the version's. */
    subject: task.subject,
    senderId: task.senderId,
    fromName: task.fromName,
    limit: task.recipientLimit,
    scheduledAt: task.scheduledAt.toISOString(),
    total: task.total,
    queued: task.queued,
    sent: task.sent,
    delivered: task.delivered,
    failed: task.failed,
    suppressed: task.suppressed,
    cancelled: task.cancelled,
    opened: task.opened,
    clicked: task.clicked,
    unsubscribed: task.unsubscribed,
    /** Came back after the transport accepted them: counted in both `sent` and `failed`. */
    bounced: task.bounced,
    complained: task.complained,
    reserved: task.reserved,
    materialized: task.materializeCursor === null,
    note: task.note,
    startedAt: task.startedAt?.toISOString() ?? null,
    finishedAt: task.finishedAt?.toISOString() ?? null,
    createdAt: task.createdAt.toISOString(),
    createdBy: task.createdBy,
    smtpAccountId: task.smtpAccountId,
    /** Why the reputation guard paused it (null: it never did), and whether someone chose to ignore the guard for it. */
    guardPause: task.guardPause,
    guardOverride: task.guardOverride,
    /** Its A/B test (variants, share, metric, wait, who chooses) and where it is; null without one. */
    abTest: abTestView(task),
    /** Each recipient sent at their best hour within 24 hours of the start (send-time.ts). */
    sendTimeOptimization: task.sendTimeOptimized,
    /** Replies are collected (each message's Reply-To is its own address at Fanout) and forwarded to replyForwardTo when set. */
    replyTracking: task.replyTracking,
    replyForwardTo: task.replyForwardTo,
    /** Deliveries with a person's reply, and with an automatic answer (out of office): each delivery counted once. */
    replied: task.replied,
    autoReplied: task.autoReplied,
  };
}
export type TaskView = ReturnType<typeof taskView>;
