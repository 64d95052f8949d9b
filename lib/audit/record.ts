import "server-only";
import { eq } from "drizzle-orm";
import type { PgColumn, PgTable, PgUpdateSetSource } from "drizzle-orm/pg-core";
import type { Executor } from "@/db/client";
import { auditLog } from "@/db/schema";
import { operatorId, type Actor } from "@/lib/access/actor";
import type { AuditSummary } from "@/lib/i18n/audit-summaries-en";
import { englishAuditSummary, storedSummaryParams } from "@/lib/i18n/describe-audit";
import type { AuditAction } from "./actions";

export type AuditInput = {
  action: AuditAction;
  objectType: string;
  objectId?: string;
  departmentId?: string | null;
  /** What happened, as a message key and its values: the console words it in the reader's language. */
  summary: AuditSummary;
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
    summary: englishAuditSummary(entry.summary).slice(0, 500),
    summaryKey: entry.summary.key,
    summaryParams: storedSummaryParams(entry.summary),
    details: entry.details,
  });
}

/**
 * Changes one row of a department's object and writes the operation-log row naming it (its id and
 * department), both on the caller's executor: pass the transaction the change belongs to.
 */
export async function updateAudited<T extends PgTable & { id: PgColumn }>(
  executor: Executor,
  actor: Actor,
  table: T,
  row: { id: string; departmentId: string | null },
  values: PgUpdateSetSource<T>,
  entry: Omit<AuditInput, "objectId" | "departmentId">,
) {
  await executor.update(table).set(values).where(eq(table.id, row.id));
  await recordAudit(executor, actor, { ...entry, objectId: row.id, departmentId: row.departmentId });
}
