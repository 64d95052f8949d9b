import "server-only";
import { count, desc, eq, isNull } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { departments, webhookEndpoints, WEBHOOK_EVENT_TYPES, type WebhookEventType } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope } from "@/lib/access/policy";
import { readSetting } from "@/lib/accounts/settings";
import { recordAudit } from "@/lib/audit/record";
import { readEnv } from "@/lib/config/env";
import { forbidden, invalidInput, notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
import { forgetWebhookSubscriptions } from "./emit";
import { newWebhookSecret, sealSecret } from "./secret-box";
import { checkWebhookUrl } from "./url-guard";

/*
 * Webhook endpoints (外发通知): a department's, managed by its users and keys, or company-wide
 * (department null), managed by admins and company keys. The signing secret is returned once, at
 * creation; afterwards only its sealed form is stored. Every change is audited.
 */

export const MAX_ENDPOINTS_PER_OWNER = 20;

const endpointColumns = {
  id: webhookEndpoints.id,
  departmentId: webhookEndpoints.departmentId,
  url: webhookEndpoints.url,
  events: webhookEndpoints.events,
  enabled: webhookEndpoints.enabled,
  disabledReason: webhookEndpoints.disabledReason,
  disabledAt: webhookEndpoints.disabledAt,
  createdBy: webhookEndpoints.createdBy,
  createdAt: webhookEndpoints.createdAt,
};

export type WebhookEndpointView = Awaited<ReturnType<typeof listWebhookEndpoints>>["rows"][number];

/** Loopback and private URLs: allowed by FANOUT_WEBHOOKS_ALLOW_PRIVATE or the company's setting. */
export async function privateUrlsAllowed(db: Executor): Promise<boolean> {
  return readEnv().webhooks.allowPrivate || (await readSetting(db, "webhooksAllowPrivate"));
}

export function checkEventTypes(events: readonly string[]): WebhookEventType[] {
  const known = new Set<string>(WEBHOOK_EVENT_TYPES);
  const unknown = events.find((event) => !known.has(event));
  if (unknown !== undefined) throw invalidInput("unknownValue", { field: "events", params: { value: unknown.slice(0, 40) } });
  if (events.length === 0) throw invalidInput("tooFew", { field: "events", params: { min: 1 } });
  return WEBHOOK_EVENT_TYPES.filter((event) => events.includes(event));
}

/** The caller's endpoints: its department's (a department caller also sees none company-wide), all for an admin. */
export async function listWebhookEndpoints(ctx: Ctx, options: { offset?: number; limit?: number } = {}) {
  authorize(ctx.actor, "webhooks.manage");
  const where = departmentScope(ctx.actor, webhookEndpoints.departmentId);
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select({ ...endpointColumns, departmentName: departments.name })
      .from(webhookEndpoints)
      .leftJoin(departments, eq(departments.id, webhookEndpoints.departmentId))
      .where(where)
      .orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id))
      .offset(options.offset ?? 0)
      .limit(Math.min(options.limit ?? 50, 200)),
    ctx.db.select({ value: count() }).from(webhookEndpoints).where(where),
  ]);
  return { rows, total: total?.value ?? 0 };
}

/** One endpoint the caller may manage: unknown ids are 404, another department's 403. */
export async function loadWebhookEndpoint(ctx: Ctx, id: string) {
  authorize(ctx.actor, "webhooks.manage");
  if (!isUuid(id)) throw notFound("webhook");
  const [row] = await ctx.db.select(endpointColumns).from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  if (!row) throw notFound("webhook");
  authorize(ctx.actor, "webhooks.manage", { departmentId: row.departmentId });
  return row;
}

export type CreateWebhookInput = { url: string; events: readonly string[]; departmentId?: string | null };

/**
 * A department caller's endpoint belongs to its department; an admin's or company key's to the
 * department it names, or to the whole company when it names none.
 */
export async function createWebhookEndpoint(ctx: Ctx, input: CreateWebhookInput) {
  authorize(ctx.actor, "webhooks.manage");
  const departmentId = ctx.actor.role === "department" ? ctx.actor.departmentId : (input.departmentId ?? null);
  if (ctx.actor.role === "department" && input.departmentId && input.departmentId !== ctx.actor.departmentId) throw forbidden();
  authorize(ctx.actor, "webhooks.manage", { departmentId });
  if (departmentId !== null) {
    if (!isUuid(departmentId)) throw invalidInput("notId", { field: "departmentId" });
    const [department] = await ctx.db.select({ id: departments.id }).from(departments).where(eq(departments.id, departmentId));
    if (!department) throw notFound("department");
  }
  const events = checkEventTypes(input.events);
  const url = await checkWebhookUrl(input.url.trim(), await privateUrlsAllowed(ctx.db));
  const secret = newWebhookSecret();
  const created = await ctx.db.transaction(async (tx) => {
    const owner = departmentId === null ? isNull(webhookEndpoints.departmentId) : eq(webhookEndpoints.departmentId, departmentId);
    const [existing] = await tx.select({ value: count() }).from(webhookEndpoints).where(owner);
    if ((existing?.value ?? 0) >= MAX_ENDPOINTS_PER_OWNER) throw invalidInput("tooManyWebhooks", { params: { max: MAX_ENDPOINTS_PER_OWNER } });
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({ departmentId, url: url.toString(), events, secretCipher: sealSecret(secret), createdBy: ctx.actor.label })
      .returning(endpointColumns);
    await recordAudit(tx, ctx.actor, {
      action: "webhook.create",
      objectType: "webhook",
      objectId: row!.id,
      departmentId,
      summary: { key: "webhook.create", params: { url: row!.url, events: events.join(", ") } },
    });
    return row!;
  });
  forgetWebhookSubscriptions();
  return { ...created, secret };
}

/** Turns an endpoint on or off by hand; turning on clears why it stopped. */
export async function setWebhookEnabled(ctx: Ctx, id: string, enabled: boolean) {
  const endpoint = await loadWebhookEndpoint(ctx, id);
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(webhookEndpoints)
      .set(enabled ? { enabled: true, disabledReason: null, disabledAt: null, updatedAt: new Date() } : { enabled: false, disabledReason: "manual", disabledAt: new Date(), updatedAt: new Date() })
      .where(eq(webhookEndpoints.id, endpoint.id));
    await recordAudit(tx, ctx.actor, {
      action: enabled ? "webhook.enable" : "webhook.disable",
      objectType: "webhook",
      objectId: endpoint.id,
      departmentId: endpoint.departmentId,
      summary: { key: enabled ? "webhook.enable" : "webhook.disable", params: { url: endpoint.url } },
    });
  });
  forgetWebhookSubscriptions();
}

/** Deletes an endpoint and its undelivered and logged messages. */
export async function deleteWebhookEndpoint(ctx: Ctx, id: string) {
  const endpoint = await loadWebhookEndpoint(ctx, id);
  await ctx.db.transaction(async (tx) => {
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    await recordAudit(tx, ctx.actor, {
      action: "webhook.delete",
      objectType: "webhook",
      objectId: endpoint.id,
      departmentId: endpoint.departmentId,
      summary: { key: "webhook.delete", params: { url: endpoint.url } },
    });
  });
  forgetWebhookSubscriptions();
}
