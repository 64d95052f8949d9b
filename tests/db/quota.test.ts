import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { companies, departments } from "@/db/schema";
import { updateCompanyAccount } from "@/lib/accounts/company";
import { consumeQuota, releaseQuota, reserveQuota } from "@/lib/accounts/quota";
import { systemActor } from "@/lib/access/actor";
import { AppError } from "@/lib/errors";
import { describeOnDatabases } from "../helpers/db";
import { makeDepartment } from "../helpers/factories";
import { rejection } from "../helpers/rejection";

describeOnDatabases("quota reservation", (db) => {
  async function counters(id: string) {
    const [row] = await db().select({ used: departments.quotaUsed, reserved: departments.quotaReserved }).from(departments).where(eq(departments.id, id));
    return row!;
  }

  it("reserves within the department's quota, says what is left when it does not fit, and releases and consumes", async () => {
    const department = await makeDepartment(db(), { quota: 100 });
    await db().transaction((tx) => reserveQuota(tx, department.id, 60));
    const refused = await rejection(db().transaction((tx) => reserveQuota(tx, department.id, 60)), AppError);
    expect(refused.code).toBe("quota_exceeded");
    expect(refused.status).toBe(409);
    expect(refused.message).toBe(`Department "${department.name}" has 40 sends left of its quota; this needs 60`);
    expect(await counters(department.id)).toEqual({ used: 0, reserved: 60 });
    await db().transaction(async (tx) => {
      await consumeQuota(tx, department.id, 50);
      await releaseQuota(tx, department.id, 10);
    });
    expect(await counters(department.id)).toEqual({ used: 50, reserved: 0 });
    await db().transaction((tx) => reserveQuota(tx, department.id, 50));
    expect((await rejection(db().transaction((tx) => reserveQuota(tx, department.id, 1)), AppError)).code).toBe("quota_exceeded");
  });

  it("also holds the company's purchased total, leaving the department untouched when the company refuses", async () => {
    const system = { db: db(), actor: systemActor("test") };
    const department = await makeDepartment(db());
    const [before] = await db().select().from(companies);
    await updateCompanyAccount(system, { name: "Acme", quotaTotal: before!.quotaUsed + before!.quotaReserved + 150 });
    try {
      await db().transaction((tx) => reserveQuota(tx, department.id, 100));
      const refused = await rejection(db().transaction((tx) => reserveQuota(tx, department.id, 100)), AppError);
      expect(refused.message).toBe("The company has 50 sends left of its purchased total; this needs 100");
      expect(await counters(department.id)).toEqual({ used: 0, reserved: 100 });
      await db().transaction((tx) => releaseQuota(tx, department.id, 100));
    } finally {
      await updateCompanyAccount(system, { name: "Acme", quotaTotal: null });
    }
  });

  it("never lets two reservations at once overspend", async () => {
    const department = await makeDepartment(db(), { quota: 100 });
    const attempts = await Promise.allSettled(
      Array.from({ length: 4 }, () => db().transaction((tx) => reserveQuota(tx, department.id, 60))),
    );
    expect(attempts.filter((attempt) => attempt.status === "fulfilled")).toHaveLength(1);
    const failures = attempts.filter((attempt): attempt is PromiseRejectedResult => attempt.status === "rejected");
    expect(failures.every((failure) => failure.reason instanceof AppError && failure.reason.code === "quota_exceeded")).toBe(true);
    expect(await counters(department.id)).toEqual({ used: 0, reserved: 60 });
  });
});
