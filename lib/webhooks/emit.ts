import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { WebhookEventType } from "@/db/schema";

/**
 * Writes webhook events into the outbox (webhook_messages), one row per subscribed endpoint, on
 * the executor of the change they report: call it inside that transaction, so an event exists
 * exactly when its change committed. lib/webhooks/deliver.ts posts them afterwards.
 *
 * Most departments have no webhooks, and the send engine records thousands of outcomes a second,
 * so which kinds each department's endpoints want is remembered for a few seconds: an endpoint
 * saved in another process is heard from within SUBSCRIPTION_CACHE_MS (in this one, at once).
 */
export type WebhookEventData = { deliveryId?: number; taskId?: string | null; email: string } & Record<string, unknown>;

const SUBSCRIPTION_CACHE_MS = 5_000;
const subscriptions = new Map<string, { kinds: ReadonlySet<string>; until: number }>();

/** Called by every change to endpoints in this process. */
export function forgetWebhookSubscriptions(): void {
  subscriptions.clear();
}

async function subscribedKinds(executor: Executor, departmentId: string): Promise<ReadonlySet<string>> {
  const now = Date.now();
  const cached = subscriptions.get(departmentId);
  if (cached && cached.until > now) return cached.kinds;
  const rows = await queryRows<{ kind: string }>(
    executor,
    sql`select distinct unnest(events) as kind from webhook_endpoints where enabled and (department_id = ${departmentId} or department_id is null)`,
  );
  const kinds = new Set(rows.map((row) => row.kind));
  subscriptions.set(departmentId, { kinds, until: now + SUBSCRIPTION_CACHE_MS });
  return kinds;
}

export async function emitWebhookEvents(executor: Executor, departmentId: string, type: WebhookEventType, items: readonly WebhookEventData[]): Promise<void> {
  if (items.length === 0 || !(await subscribedKinds(executor, departmentId)).has(type)) return;
  const createdAt = new Date().toISOString();
  const bodies = items.map((data) => ({ type, createdAt, data: withoutUndefined(data) }));
  await executor.execute(sql`
    insert into webhook_messages (endpoint_id, department_id, type, payload)
    select e.id, ${departmentId}::uuid, ${type}, b.body
    from jsonb_array_elements(${JSON.stringify(bodies)}::jsonb) with ordinality as b(body, position)
    cross join webhook_endpoints e
    where e.enabled and (e.department_id = ${departmentId} or e.department_id is null) and ${type} = any(e.events)
    order by b.position, e.id`);
}

export function emitWebhookEvent(executor: Executor, departmentId: string, type: WebhookEventType, data: WebhookEventData): Promise<void> {
  return emitWebhookEvents(executor, departmentId, type, [data]);
}

function withoutUndefined(data: WebhookEventData): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined));
}
