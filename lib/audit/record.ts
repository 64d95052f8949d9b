import type { Executor } from "@/db/client";
import { auditLog } from "@/db/schema";
import { operatorId, type Actor } from "@/lib/access/actor";

export type AuditInput = {
  action: string;
  objectType: string;
  objectId?: string;
  departmentId?: string | null;
  summary: string;
  details?: Record<string, unknown>;
};

/** Writes one operation-log row; call it inside the mutation's transaction. */
export async function recordAudit(executor: Executor, actor: Actor, entry: AuditInput) {
  await executor.insert(auditLog).values({
    operatorId: operatorId(actor),
    operatorLabel: actor.label,
    operatorRole: actor.kind === "apikey" ? `apikey:${actor.role}` : actor.role,
    ip: actor.ip,
    action: entry.action,
    objectType: entry.objectType,
    objectId: entry.objectId ?? "",
    departmentId: entry.departmentId ?? null,
    summary: entry.summary.slice(0, 500),
    details: entry.details,
  });
}
