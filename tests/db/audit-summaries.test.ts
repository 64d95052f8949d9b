import { desc, eq, gt } from "drizzle-orm";
import { expect, it } from "vitest";
import { auditLog, departments, pools } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { updateDepartment } from "@/lib/accounts/departments";
import { writeSetting } from "@/lib/accounts/settings";
import { createUser } from "@/lib/accounts/users";
import { listAuditEntries } from "@/lib/audit/queries";
import { auditWording, describeStoredSummary } from "@/lib/i18n/describe-audit";
import { clearPool, updatePool } from "@/lib/pools/pools";
import { addSuppressions } from "@/lib/pools/suppression";
import { cancelTask, createTask, pauseTask } from "@/lib/sending/tasks";
import { formatInZone } from "@/lib/time/zone";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeUser, TEST_PASSWORD, unique } from "../helpers/factories";
import { latinLeftIn } from "../helpers/latin";
import { makeSendingSetup, taskInput } from "../helpers/sending";

const TIME_ZONE = "Asia/Shanghai";
const zh = auditWording("zh-CN", TIME_ZONE);
const en = auditWording("en");

describeOnDatabases("operation-log summaries in the reader's language", (db) => {
  it("words what a department did in Chinese, with nothing Latin but what the users typed, and stores the same in English", async () => {
    const setup = await makeSendingSetup(db(), { count: 3 });
    const system = setup.ctx;
    const admin = await makeUser(db(), "admin");
    const adminCtx: Ctx = { db: db(), actor: actorFor(admin, "admin") };
    const [last] = await db().select({ id: auditLog.id }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    const start = last!.id;

    const typed = { department: unique("Marketing"), pool: unique("VIP 客户"), note: "complaint by phone", task: unique("Weekly news"), user: `${unique("li")}@example.cn` };
    const [oldDepartment] = await db().select({ name: departments.name }).from(departments).where(eq(departments.id, setup.departmentId));
    const [oldPool] = await db().select({ name: pools.name }).from(pools).where(eq(pools.id, setup.poolId));
    await updateDepartment(adminCtx, setup.departmentId, { name: typed.department, quotaAllocated: 50_000, disabled: false });
    await createUser(adminCtx, { email: typed.user, password: TEST_PASSWORD, role: "department", departmentId: setup.departmentId });
    await updatePool(system, setup.poolId, { name: typed.pool });
    await addSuppressions(system, { departmentId: setup.departmentId, addresses: setup.emails[0]!, reason: "complaint", note: typed.note });
    const sendAt = new Date(Date.now() + 86_400_000);
    const scheduled = await createTask(system, taskInput(setup, { name: typed.task, scheduledAt: sendAt }));
    await pauseTask(system, scheduled.id);
    await cancelTask(system, scheduled.id);
    await clearPool(system, setup.poolId);
    await writeSetting(adminCtx, "requireUnsubscribeLink", true);
    await writeSetting(adminCtx, "requireUnsubscribeLink", false);

    const rows = await db().select().from(auditLog).where(gt(auditLog.id, start)).orderBy(auditLog.id);
    expect(rows.map((row) => row.action)).toEqual([
      "department.update",
      "user.create",
      "pool.update",
      "suppression.add",
      "task.create",
      "task.pause",
      "task.cancel",
      "pool.clear",
      "settings.update",
      "settings.update",
    ]);
    // Every row keeps its key and values, and its stored English is what the English catalogue says of them.
    for (const row of rows) {
      expect(row.summaryKey, row.action).toBeTruthy();
      expect(row.summary).toBe(describeStoredSummary(row, en));
    }
    const chinese = rows.map((row) => describeStoredSummary(row, zh));
    const userInput = [...Object.values(typed), oldDepartment!.name, oldPool!.name, ...setup.emails];
    expect(chinese.map((sentence) => [sentence, latinLeftIn(sentence, userInput)])).toEqual(chinese.map((sentence) => [sentence, ""]));
    expect(chinese[0]).toMatch(/^修改部门“.+”（原名“.+”；配额 不限 → 50,000）$/);
    expect(chinese[3]).toBe(`屏蔽 1 个地址（投诉）：${typed.note}`);
    // The scheduled time is said in the reader's zone, not as an ISO instant.
    expect(chinese[4]).toContain(`定时于 ${formatInZone(sendAt, TIME_ZONE)}`);
    expect(chinese.slice(8)).toEqual(["将“模板必须包含退订链接”设为开", "将“模板必须包含退订链接”设为关"]);

    // The console's page reads the same rows through the department filter and words them the same way.
    const department = await makeUser(db(), "department", { departmentId: setup.departmentId });
    const page = await listAuditEntries({ db: db(), actor: actorFor(department, "department", setup.departmentId) }, { action: "task.cancel" });
    expect(page.rows.map((row) => describeStoredSummary(row, zh))).toEqual([chinese[6]]);
  });

  it("shows a row written before summaries were keys as it was stored", async () => {
    const marker = unique("legacy");
    await db().insert(auditLog).values({ operatorId: "cli", operatorLabel: marker, operatorRole: "admin", action: "pool.create", objectType: "pool", summary: `Created pool "${marker}"` });
    const { rows } = await listAuditEntries({ db: db(), actor: systemActor("test") }, { operator: marker });
    expect(rows.map((row) => describeStoredSummary(row, zh))).toEqual([`Created pool "${marker}"`]);
    const [stored] = await db().select().from(auditLog).where(eq(auditLog.operatorLabel, marker));
    expect(stored).toMatchObject({ summaryKey: null, summaryParams: null });
  });
});
