import "server-only";
import { sql } from "drizzle-orm";
import type { Database, Executor } from "@/db/client";
import type { BounceCategory, FeedbackSource } from "@/db/schema";
import { lockDelivery, recordEvent, type LockedDelivery } from "@/lib/deliveries/record";
import { addToRollup } from "@/lib/deliveries/rollups";
import { suppressAddresses, suppressHardFailures } from "./suppress";
import { SYSTEM_SUPPRESSION_NOTES } from "@/lib/i18n/system-notes";
import { announceGuardPauses, guardTask } from "@/lib/guard/guard";

/** What came back about one delivery after it was handed over: from a bounce message, an ARF report or a provider event. */
export type DeliveryFeedback =
  | { kind: "bounce"; category: BounceCategory; hard: boolean; status: string | null; diagnostic: string; event?: "bounced" | "failed" }
  | { kind: "complaint"; feedbackType?: string }
  | { kind: "delivered" }
  | { kind: "delay"; status?: string | null; diagnostic?: string }
  | { kind: "sent" }
  | { kind: "auto_reply"; diagnostic?: string };

export type FeedbackOrigin = {
  source: FeedbackSource;
  /** A provider's event id: the same one again changes nothing. */
  dedupeKey?: string;
  occurredAt?: Date;
  detail?: Record<string, unknown>;
};

/** applied: the delivery moved; recorded: only its trail grew; duplicate: seen before; not_found: no such delivery. */
export type FeedbackResult = "applied" | "recorded" | "duplicate" | "not_found";

/**
 * Applies feedback to a delivery in one transaction: its status, the task's counters, the day's
 * rollup, the suppression list and the trail. A bounce moves a sent (or delivered) message to
 * failed with its category — it stays counted in `sent` (it was accepted) and is counted in
 * `bounced`; anything about a delivery that is not sent (still retrying, already failed) only
 * joins its trail.
 */
export async function applyFeedback(db: Database, deliveryId: number, feedback: DeliveryFeedback, origin: FeedbackOrigin): Promise<FeedbackResult> {
  let guardPaused: string[] = [];
  const result = await db.transaction(async (tx): Promise<FeedbackResult> => {
    const delivery = await lockDelivery(tx, deliveryId);
    if (!delivery) return "not_found";
    const type = feedback.kind === "bounce" ? (feedback.event ?? "bounced") : feedback.kind === "complaint" ? "complained" : feedback.kind === "delay" ? "delayed" : feedback.kind;
    const detail = { ...origin.detail, ...detailOf(feedback) };
    // The event goes in first: a redelivered webhook conflicts on its key here and does nothing else.
    const fresh = await recordEvent(tx, delivery, { type, source: origin.source, detail, dedupeKey: origin.dedupeKey, occurredAt: origin.occurredAt });
    if (!fresh) return "duplicate";
    switch (feedback.kind) {
      case "bounce":
      case "complaint": {
        const applied = feedback.kind === "bounce" ? await applyBounce(tx, delivery, feedback) : await applyComplaint(tx, delivery);
        // The reputation guard hears of every bounce and complaint as it is counted (lib/guard).
        if (applied) guardPaused = await guardTask(tx, delivery.taskId);
        return applied ? "applied" : "recorded";
      }
      case "delivered":
        return (await applyDelivered(tx, delivery)) ? "applied" : "recorded";
      default:
        return "recorded";
    }
  });
  await announceGuardPauses(db, guardPaused);
  return result;
}

function detailOf(feedback: DeliveryFeedback): Record<string, unknown> {
  switch (feedback.kind) {
    case "bounce":
      return { category: feedback.category, hard: feedback.hard, status: feedback.status, reply: feedback.diagnostic };
    case "complaint":
      return feedback.feedbackType ? { feedbackType: feedback.feedbackType } : {};
    case "delay":
      return { status: feedback.status ?? null, reply: feedback.diagnostic ?? "" };
    case "auto_reply":
      return { reply: feedback.diagnostic ?? "" };
    default:
      return {};
  }
}

async function applyBounce(tx: Executor, delivery: LockedDelivery, bounce: Extract<DeliveryFeedback, { kind: "bounce" }>): Promise<boolean> {
  if (delivery.status !== "sent" && delivery.status !== "delivered") return false;
  await tx.execute(sql`
    update deliveries set status = 'failed', category = ${bounce.category}, enhanced_status = ${bounce.status}, error = ${bounce.diagnostic.slice(0, 1000)},
      bounced_at = now(), updated_at = now()
    where id = ${delivery.id}`);
  const wasDelivered = delivery.status === "delivered" ? 1 : 0;
  const hard = bounce.hard ? 1 : 0;
  const unknown = bounce.hard && bounce.category === "user_unknown" ? 1 : 0;
  await tx.execute(sql`
    update tasks set failed = failed + 1, bounced = bounced + 1, delivered = delivered - ${wasDelivered},
      guard_hard_bounces = guard_hard_bounces + ${hard}, guard_unknown_users = guard_unknown_users + ${unknown}, updated_at = now()
    where id = ${delivery.taskId}`);
  await addToRollup(tx, delivery, { failed: 1, bounced: 1, [bounce.category]: 1 });
  // A soft bounce of an unknown user (4.1.1, "try again later") does not prove the address dead.
  if (bounce.hard || bounce.category === "mailbox_full") await suppressHardFailures(tx, delivery.departmentId, [{ category: bounce.category, email: delivery.email }], SYSTEM_SUPPRESSION_NOTES.bouncedAfterSending);
  return true;
}

async function applyComplaint(tx: Executor, delivery: LockedDelivery): Promise<boolean> {
  if (delivery.complainedAt) return false;
  await tx.execute(sql`update deliveries set complained_at = now(), updated_at = now() where id = ${delivery.id}`);
  await tx.execute(sql`update tasks set complained = complained + 1, updated_at = now() where id = ${delivery.taskId}`);
  await addToRollup(tx, delivery, { complained: 1 });
  await suppressAddresses(tx, delivery.departmentId, [delivery.email], "complaint", SYSTEM_SUPPRESSION_NOTES.markedAsSpam, "feedback");
  return true;
}

async function applyDelivered(tx: Executor, delivery: LockedDelivery): Promise<boolean> {
  if (delivery.status !== "sent") return false;
  await tx.execute(sql`update deliveries set status = 'delivered', delivered_at = now(), updated_at = now() where id = ${delivery.id}`);
  await tx.execute(sql`update tasks set delivered = delivered + 1, updated_at = now() where id = ${delivery.taskId}`);
  await addToRollup(tx, delivery, { delivered: 1 });
  return true;
}
