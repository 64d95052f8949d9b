import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { createNotification } from "./create";

/**
 * The notifications other modules raise, each in the transaction of what it reports. The guard's
 * own is raised in lib/guard.
 */

export async function notifyTaskFailed(tx: Executor, task: { id: string; departmentId: string; name: string }, reason: string): Promise<void> {
  await createNotification(tx, { departmentId: task.departmentId, kind: "taskFailed", params: { task: task.name, reason: reason.slice(0, 300) }, link: `/tasks/${task.id}` });
}

/** A department hears of its quota when less than 1/LOW_QUOTA_PARTS of its allocation is left (10%). */
export const LOW_QUOTA_PARTS = 10;

/**
 * After a reservation: a department whose quota left (allocated − used − reserved) fell under 10%
 * hears of it once per allocation — the dedupe key names the allocated amount, so a new
 * allocation (the next quota period) can warn again.
 */
export async function notifyQuotaLow(tx: Executor, departmentIds: readonly string[]): Promise<void> {
  if (departmentIds.length === 0) return;
  const low = await queryRows<{ id: string; name: string; total: number; remaining: number }>(
    tx,
    sql`select id, name, quota_allocated as total, greatest(quota_allocated - quota_used - quota_reserved, 0) as remaining
        from departments
        where id in (${sql.join(departmentIds.map((id) => sql`${id}`), sql`, `)}) and quota_allocated > 0
          and (quota_allocated - quota_used - quota_reserved) * ${LOW_QUOTA_PARTS}::int < quota_allocated`,
  );
  for (const department of low) {
    await createNotification(tx, {
      departmentId: department.id,
      kind: "quotaLow",
      params: { department: department.name, left: department.remaining, total: department.total },
      link: "/",
      dedupeKey: `quotaLow:${department.id}:${department.total}`,
    });
  }
}

/** A domain's records stopped checking out (verified → failed): once per change, since only that change calls it. */
export async function notifyDomainDnsBroken(tx: Executor, domain: { id: string; domain: string; departmentId: string | null }, failedRecords: string[]): Promise<void> {
  await createNotification(tx, { departmentId: domain.departmentId, kind: "domainDnsBroken", params: { domain: domain.domain, records: failedRecords.join(", ") }, link: "/senders" });
}

/** An endpoint turned off by delivery (410 Gone, or 24 hours of failures); a company-wide one concerns admins only. */
export async function notifyWebhookDisabled(tx: Executor, endpoint: { id: string; departmentId: string | null; url: string }, reason: "gone" | "failing"): Promise<void> {
  await createNotification(tx, { departmentId: endpoint.departmentId, kind: "webhookDisabled", params: { url: endpoint.url, reason, endpoint: endpoint.id }, link: "/webhooks" });
}
