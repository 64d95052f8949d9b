import "server-only";
import { eq, sql } from "drizzle-orm";
import { companies, departments } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import { invalidInput } from "@/lib/errors";
import { remainingQuota } from "./quota";



export async function getCompanyAccount({ db, actor }: Ctx) {
  authorize(actor, "company.view");
  const [company] = await db.select().from(companies).where(eq(companies.id, 1));
  if (!company) throw new Error("The company row is missing: migrations did not run");
  const [allocation] = await db
    .select({
      allocated: sql<string | null>`sum(${departments.quotaAllocated})`,
      unlimited: sql<number>`count(*) filter (where ${departments.quotaAllocated} is null)`,
      count: sql<number>`count(*)`,
    })
    .from(departments);
  return {
    name: company.name,
    quotaTotal: company.quotaTotal,
    quotaUsed: company.quotaUsed,
    quotaReserved: company.quotaReserved,
    quotaRemaining: remainingQuota({ total: company.quotaTotal, used: company.quotaUsed, reserved: company.quotaReserved }),
    allocatedToDepartments: Number(allocation?.allocated ?? 0),
    departmentsWithoutLimit: Number(allocation?.unlimited ?? 0),
    departmentCount: Number(allocation?.count ?? 0),
  };
}

export type CompanyUpdate = { name: string; quotaTotal: number | null };

export async function updateCompanyAccount({ db, actor }: Ctx, input: CompanyUpdate) {
  authorize(actor, "company.update");
  return db.transaction(async (tx) => {
    const [company] = await tx.select().from(companies).where(eq(companies.id, 1)).for("update");
    if (!company) throw new Error("The company row is missing");
    if (input.quotaTotal !== null) {
      const committed = company.quotaUsed + company.quotaReserved;
      if (input.quotaTotal < committed) {
        throw invalidInput("totalBelowCommitted", { field: "quotaTotal", params: { committed } });
      }
      const [sum] = await tx.select({ allocated: sql<string | null>`sum(${departments.quotaAllocated})` }).from(departments);
      const allocated = Number(sum?.allocated ?? 0);
      if (input.quotaTotal < allocated) {
        throw invalidInput("totalBelowAllocated", { field: "quotaTotal", params: { allocated } });
      }
    }
    await tx
      .update(companies)
      .set({ name: input.name, quotaTotal: input.quotaTotal, updatedAt: new Date() })
      .where(eq(companies.id, 1));
    await recordAudit(tx, actor, {
      action: "company.update",
      objectType: "company",
      objectId: "1",
      summary: { key: "company.update", params: { name: input.name, total: input.quotaTotal ?? null, oldTotal: company.quotaTotal ?? null } },
    });
  });
}
