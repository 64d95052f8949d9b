import "server-only";
import { and, asc, count, eq, ne, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { companies, departments, users } from "@/db/schema";
import { authorize, departmentScope } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import type { AuditSummary } from "@/lib/i18n/audit-summaries-en";
import { conflict, invalidInput, notFound } from "@/lib/errors";
import type { Ctx } from "@/lib/access/context";
import { remainingQuota } from "./quota";

export type DepartmentInput = { name: string; description?: string; quotaAllocated: number | null };

const departmentColumns = {
  id: departments.id,
  name: departments.name,
  description: departments.description,
  quotaAllocated: departments.quotaAllocated,
  quotaUsed: departments.quotaUsed,
  quotaReserved: departments.quotaReserved,
  disabled: departments.disabled,
  createdAt: departments.createdAt,
};

export type DepartmentView = Awaited<ReturnType<typeof listDepartments>>["rows"][number];

export async function listDepartments({ db, actor }: Ctx, page = { offset: 0, limit: 50 }) {
  authorize(actor, "department.view");
  const scope = departmentScope(actor, departments.id);
  const rows = await db
    .select({
      ...departmentColumns,
      userCount: sql<number>`(select count(*)::int from ${users} where ${users.departmentId} = ${departments.id})`,
    })
    .from(departments)
    .where(scope)
    .orderBy(asc(sql`lower(${departments.name})`))
    .offset(page.offset)
    .limit(page.limit);
  const [total] = await db.select({ value: count() }).from(departments).where(scope);
  return {
    total: total?.value ?? 0,
    rows: rows.map((row) => ({
      ...row,
      quotaRemaining: remainingQuota({ total: row.quotaAllocated, used: row.quotaUsed, reserved: row.quotaReserved }),
    })),
  };
}

export async function getDepartment({ db, actor }: Ctx, id: string) {
  const [row] = await db.select(departmentColumns).from(departments).where(eq(departments.id, id));
  if (!row) throw notFound("department");
  authorize(actor, "department.view", { departmentId: row.id });
  return {
    ...row,
    quotaRemaining: remainingQuota({ total: row.quotaAllocated, used: row.quotaUsed, reserved: row.quotaReserved }),
  };
}

/** Department allocations may not add up to more than the company bought. */
async function assertAllocationFits(tx: Executor, quota: number | null, exceptId?: string) {
  if (quota === null) return;
  const [company] = await tx.select({ total: companies.quotaTotal }).from(companies).where(eq(companies.id, 1));
  if (!company || company.total === null) return;
  const [sum] = await tx
    .select({ allocated: sql<string | null>`sum(${departments.quotaAllocated})` })
    .from(departments)
    .where(exceptId ? ne(departments.id, exceptId) : undefined);
  const others = Number(sum?.allocated ?? 0);
  if (others + quota > company.total) {
    throw invalidInput("quotaLeftToAllocate", { field: "quotaAllocated", params: { left: Math.max(0, company.total - others), total: company.total } });
  }
}

async function assertNameFree(tx: Executor, name: string, exceptId?: string) {
  const [existing] = await tx
    .select({ id: departments.id })
    .from(departments)
    .where(and(sql`lower(${departments.name}) = lower(${name})`, exceptId ? ne(departments.id, exceptId) : undefined));
  if (existing) throw conflict("departmentNameTaken", { field: "name", params: { name } });
}

export async function createDepartment({ db, actor }: Ctx, input: DepartmentInput) {
  authorize(actor, "department.create");
  return db.transaction(async (tx) => {
    // Serialise allocation changes on the company row.
    await tx.select({ id: companies.id }).from(companies).where(eq(companies.id, 1)).for("update");
    await assertNameFree(tx, input.name);
    await assertAllocationFits(tx, input.quotaAllocated);
    const [created] = await tx
      .insert(departments)
      .values({ name: input.name, description: input.description ?? "", quotaAllocated: input.quotaAllocated })
      .returning({ id: departments.id });
    await recordAudit(tx, actor, {
      action: "department.create",
      objectType: "department",
      objectId: created!.id,
      departmentId: created!.id,
      summary: { key: "department.create", params: { name: input.name, quota: input.quotaAllocated ?? null } },
    });
    return created!;
  });
}

export type DepartmentUpdate = DepartmentInput & { disabled?: boolean };

export async function updateDepartment({ db, actor }: Ctx, id: string, input: DepartmentUpdate) {
  authorize(actor, "department.update", { departmentId: id });
  return db.transaction(async (tx) => {
    await tx.select({ id: companies.id }).from(companies).where(eq(companies.id, 1)).for("update");
    const [current] = await tx.select().from(departments).where(eq(departments.id, id)).for("update");
    if (!current) throw notFound("department");
    await assertNameFree(tx, input.name, id);
    if (input.quotaAllocated !== null && input.quotaAllocated < current.quotaUsed + current.quotaReserved) {
      throw invalidInput("quotaBelowUsed", { field: "quotaAllocated", params: { used: current.quotaUsed + current.quotaReserved } });
    }
    await assertAllocationFits(tx, input.quotaAllocated, id);
    await tx
      .update(departments)
      .set({
        name: input.name,
        description: input.description ?? current.description,
        quotaAllocated: input.quotaAllocated,
        disabled: input.disabled ?? current.disabled,
        updatedAt: new Date(),
      })
      .where(eq(departments.id, id));
    const changes = describeChanges(current, input);
    await recordAudit(tx, actor, {
      action: "department.update",
      objectType: "department",
      objectId: id,
      departmentId: id,
      summary: { key: "department.update", ...changes },
    });
  });
}

function describeChanges(current: typeof departments.$inferSelect, input: DepartmentUpdate): Omit<AuditSummary, "key"> {
  return {
    params: { name: input.name, oldName: current.name, quota: input.quotaAllocated ?? null, oldQuota: current.quotaAllocated ?? null },
    notes: [
      current.name !== input.name && "renamed",
      current.quotaAllocated !== input.quotaAllocated && "quotaChanged",
      input.disabled !== undefined && current.disabled !== input.disabled && (input.disabled ? "disabled" : "enabled"),
    ],
  };
}
