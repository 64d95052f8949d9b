import "server-only";
import { and, count, desc, eq } from "drizzle-orm";
import { webhookMessages } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { recordAudit } from "@/lib/audit/record";
import { notFound } from "@/lib/errors";
import { loadWebhookEndpoint } from "./endpoints";

/** An endpoint's delivery log (its outbox rows, newest first), a test event, and replaying one event. */

export type WebhookMessageView = Awaited<ReturnType<typeof listWebhookMessages>>["rows"][number];

export async function listWebhookMessages(ctx: Ctx, endpointId: string, options: { offset?: number; limit?: number } = {}) {
  const endpoint = await loadWebhookEndpoint(ctx, endpointId);
  const where = eq(webhookMessages.endpointId, endpoint.id);
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select({
        id: webhookMessages.id,
        type: webhookMessages.type,
        status: webhookMessages.status,
        attempts: webhookMessages.attempts,
        nextAttemptAt: webhookMessages.nextAttemptAt,
        lastStatusCode: webhookMessages.lastStatusCode,
        lastResponse: webhookMessages.lastResponse,
        lastError: webhookMessages.lastError,
        lastAttemptAt: webhookMessages.lastAttemptAt,
        createdAt: webhookMessages.createdAt,
        payload: webhookMessages.payload,
      })
      .from(webhookMessages)
      .where(where)
      .orderBy(desc(webhookMessages.id))
      .offset(options.offset ?? 0)
      .limit(Math.min(options.limit ?? 20, 100)),
    ctx.db.select({ value: count() }).from(webhookMessages).where(where),
  ]);
  return { endpoint, rows, total: total?.value ?? 0 };
}

/** Queues a `test` event for the endpoint (delivered like any other, even while disabled it waits). */
export async function sendTestWebhook(ctx: Ctx, endpointId: string) {
  const endpoint = await loadWebhookEndpoint(ctx, endpointId);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(webhookMessages)
      .values({
        endpointId: endpoint.id,
        departmentId: endpoint.departmentId,
        type: "test",
        payload: { type: "test", createdAt: new Date().toISOString(), data: { email: "test@example.com", test: true } },
      })
      .returning({ id: webhookMessages.id });
    await recordAudit(tx, ctx.actor, {
      action: "webhook.test",
      objectType: "webhook",
      objectId: endpoint.id,
      departmentId: endpoint.departmentId,
      summary: { key: "webhook.test", params: { url: endpoint.url } },
    });
    return { id: row!.id };
  });
}

/** Sends one logged event again as a new outbox row (with its own attempts and 24 hours), the body unchanged. */
export async function replayWebhookMessage(ctx: Ctx, endpointId: string, messageId: number) {
  const endpoint = await loadWebhookEndpoint(ctx, endpointId);
  if (!Number.isSafeInteger(messageId) || messageId <= 0) throw notFound("webhookMessage");
  return ctx.db.transaction(async (tx) => {
    const [original] = await tx
      .select({ type: webhookMessages.type, payload: webhookMessages.payload, departmentId: webhookMessages.departmentId })
      .from(webhookMessages)
      .where(and(eq(webhookMessages.id, messageId), eq(webhookMessages.endpointId, endpoint.id)));
    if (!original) throw notFound("webhookMessage");
    const [row] = await tx.insert(webhookMessages).values({ endpointId: endpoint.id, ...original }).returning({ id: webhookMessages.id });
    await recordAudit(tx, ctx.actor, {
      action: "webhook.replay",
      objectType: "webhook",
      objectId: endpoint.id,
      departmentId: endpoint.departmentId,
      summary: { key: "webhook.replay", params: { url: endpoint.url, event: original.type } },
      details: { messageId, replayId: row!.id },
    });
    return { id: row!.id };
  });
}
