import "server-only";
import { eq, sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { companies, departments } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { notifyQuotaLow } from "@/lib/notifications/triggers";

/** Quota arithmetic shared by the company and its departments; null total means unlimited. */
export type QuotaCounters = { total: number | null; used: number; reserved: number };

export function remainingQuota({ total, used, reserved }: QuotaCounters): number | null {
  return total === null ? null : Math.max(0, total - used - reserved);
}

/**
 * Reserves `count` sends of a department's quota and of the company's, atomically: each is one
 * conditional UPDATE, so concurrent reservations can never overspend either. Department first,
 * then company, in every caller, so two reservations cannot deadlock. Call inside a transaction;
 * when either does not fit, nothing is reserved and the error says what is left.
 */
export async function reserveQuota(tx: Executor, departmentId: string, count: number): Promise<void> {
  await reserveQuotaOfDepartments(tx, new Map([[departmentId, count]]));
}

/**
 * reserveQuota for several departments at once (a group of SMTP submissions): each department's
 * share, in the order of their ids, then the company's once for the sum, so two reservations of
 * any shape take the rows in one order and cannot deadlock. All or nothing, as reserveQuota.
 */
export async function reserveQuotaOfDepartments(tx: Executor, counts: ReadonlyMap<string, number>): Promise<void> {
  for (const count of counts.values()) if (!Number.isInteger(count) || count < 0) throw new AppError("invalid_input", "cannotReserve", { params: { count } });
  const wanted = [...counts].filter(([, count]) => count > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const reserved: [string, number][] = [];
  // Within this transaction, so a refusal leaves the caller's transaction as it was.
  const undo = async () => {
    for (const [departmentId, count] of reserved) {
      await tx.update(departments).set({ quotaReserved: sql`${departments.quotaReserved} - ${count}` }).where(eq(departments.id, departmentId));
    }
  };
  for (const [departmentId, count] of wanted) {
    const department = await queryRows<{ id: string }>(
      tx,
      sql`update ${departments} set quota_reserved = quota_reserved + ${count}
          where id = ${departmentId} and (quota_allocated is null or quota_allocated - quota_used - quota_reserved >= ${count})
          returning id`,
    );
    if (department.length === 0) {
      await undo();
      throw await quotaExceeded(tx, departmentId, count);
    }
    reserved.push([departmentId, count]);
  }
  const total = reserved.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return;
  // In this transaction: a trial reservation that is undone takes its warning with it.
  await notifyQuotaLow(tx, reserved.map(([departmentId]) => departmentId));
  const company = await queryRows<{ id: number }>(
    tx,
    sql`update ${companies} set quota_reserved = quota_reserved + ${total}
        where id = 1 and (quota_total is null or quota_total - quota_used - quota_reserved >= ${total})
        returning id`,
  );
  if (company.length === 0) {
    await undo();
    throw await quotaExceeded(tx, null, total);
  }
}

/** Reserves `wanted` if it fits, else as much as is left of the department's and the company's quota; answers how much was reserved. */
export async function reserveAsMuchAs(tx: Executor, departmentId: string, wanted: number): Promise<number> {
  try {
    await reserveQuota(tx, departmentId, wanted);
    return wanted;
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== "quota_exceeded") throw error;
  }
  const [left] = await queryRows<{ department_total: number | null; department_used: number; department_reserved: number; company_total: number | null; company_used: number; company_reserved: number }>(
    tx,
    sql`select d.quota_allocated as department_total, d.quota_used as department_used, d.quota_reserved as department_reserved,
               c.quota_total as company_total, c.quota_used as company_used, c.quota_reserved as company_reserved
        from departments d, companies c where d.id = ${departmentId} and c.id = 1`,
  );
  if (!left) return 0;
  const fits = Math.min(
    wanted,
    remainingQuota({ total: left.department_total, used: left.department_used, reserved: left.department_reserved }) ?? wanted,
    remainingQuota({ total: left.company_total, used: left.company_used, reserved: left.company_reserved }) ?? wanted,
  );
  if (fits <= 0) return 0;
  try {
    await reserveQuota(tx, departmentId, fits);
    return fits;
  } catch {
    return 0;
  }
}

/** Gives back reserved sends that will not happen (suppressed, cancelled, failed before sending). */
export async function releaseQuota(tx: Executor, departmentId: string, count: number): Promise<void> {
  if (count <= 0) return;
  await tx.update(departments).set({ quotaReserved: sql`greatest(${departments.quotaReserved} - ${count}, 0)` }).where(eq(departments.id, departmentId));
  await tx.update(companies).set({ quotaReserved: sql`greatest(${companies.quotaReserved} - ${count}, 0)` }).where(eq(companies.id, 1));
}

/** Turns reserved sends into used ones as messages go out. */
export async function consumeQuota(tx: Executor, departmentId: string, count: number): Promise<void> {
  if (count <= 0) return;
  await tx
    .update(departments)
    .set({ quotaReserved: sql`greatest(${departments.quotaReserved} - ${count}, 0)`, quotaUsed: sql`${departments.quotaUsed} + ${count}` })
    .where(eq(departments.id, departmentId));
  await tx
    .update(companies)
    .set({ quotaReserved: sql`greatest(${companies.quotaReserved} - ${count}, 0)`, quotaUsed: sql`${companies.quotaUsed} + ${count}` })
    .where(eq(companies.id, 1));
}

async function quotaExceeded(tx: Executor, departmentId: string | null, count: number): Promise<AppError> {
  if (departmentId) {
    const [row] = await tx
      .select({ name: departments.name, total: departments.quotaAllocated, used: departments.quotaUsed, reserved: departments.quotaReserved })
      .from(departments)
      .where(eq(departments.id, departmentId));
    if (!row) return new AppError("not_found", "notFound", { params: { what: "department" } });
    const left = remainingQuota(row) ?? 0;
    return new AppError("quota_exceeded", "departmentQuotaShort", { params: { department: row.name, left, count }, details: { remaining: left, needed: count, scope: "department" } });
  }
  const [company] = await tx.select({ total: companies.quotaTotal, used: companies.quotaUsed, reserved: companies.quotaReserved }).from(companies).where(eq(companies.id, 1));
  const left = company ? (remainingQuota(company) ?? 0) : 0;
  return new AppError("quota_exceeded", "companyQuotaShort", { params: { left, count }, details: { remaining: left, needed: count, scope: "company" } });
}
