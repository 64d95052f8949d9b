import "server-only";
import { and, desc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import { auditLog } from "@/db/schema";
import { authorize, departmentScope } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";

export { AUDIT_ACTIONS } from "./actions";

export type AuditFilters = {
  action?: string;
  operator?: string;
  /** Inclusive start and exclusive end instants. */
  from?: Date;
  to?: Date;
};

export const AUDIT_PAGE_SIZE = 50;

export async function listAuditEntries({ db, actor }: Ctx, filters: AuditFilters, page = 1) {
  authorize(actor, "audit.view");
  const conditions: (SQL | undefined)[] = [departmentScope(actor, auditLog.departmentId)];
  if (actor.role !== "admin" && actor.readable !== "all") {
    // Company-wide entries (no department) are for admins and all-department managers only.
    conditions.push(sql`${auditLog.departmentId} is not null`);
  }
  if (filters.action) conditions.push(eq(auditLog.action, filters.action));
  if (filters.operator) {
    const pattern = `%${filters.operator.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
    conditions.push(sql`${auditLog.operatorLabel} ilike ${pattern}`);
  }
  if (filters.from) conditions.push(gte(auditLog.at, filters.from));
  if (filters.to) conditions.push(lt(auditLog.at, filters.to));
  const rows = await db
    .select({
      id: auditLog.id,
      at: auditLog.at,
      operatorLabel: auditLog.operatorLabel,
      operatorRole: auditLog.operatorRole,
      ip: auditLog.ip,
      action: auditLog.action,
      objectType: auditLog.objectType,
      objectId: auditLog.objectId,
      departmentId: auditLog.departmentId,
      summary: auditLog.summary,
      summaryKey: auditLog.summaryKey,
      summaryParams: auditLog.summaryParams,
    })
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .offset((Math.max(1, page) - 1) * AUDIT_PAGE_SIZE)
    .limit(AUDIT_PAGE_SIZE + 1);
  return { rows: rows.slice(0, AUDIT_PAGE_SIZE), hasMore: rows.length > AUDIT_PAGE_SIZE, page: Math.max(1, page) };
}
