import { describeRefusal, type Refusal } from "@/lib/i18n/describe";
import { reasonsZh } from "@/lib/i18n/reasons-zh";
import { eq } from "drizzle-orm";
import { afterEach, beforeAll, expect, it, vi } from "vitest";
import { GET as failuresRoute } from "@/app/api/v1/stats/failures/route";
import { GET as sendsRoute } from "@/app/api/v1/stats/sends/route";
import { departments, taskLinks, tasks } from "@/db/schema";
import { addRollupRows, type RollupRow } from "../helpers/rollup";
import { systemActor, type Actor } from "@/lib/access/actor";
import { createApiKey } from "@/lib/accounts/api-keys";
import type { Ctx } from "@/lib/access/context";
import { AppError } from "@/lib/errors";
import { failureReportCsv, sendReportCsv } from "@/lib/reports/csv";
import { resolvePeriod, type ReportRange } from "@/lib/reports/periods";
import { engagementPerDay, failureCategoriesPerDay, failureReport, reportSummary, sendReport, sendsPerDay, taskReport } from "@/lib/reports/queries";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeUser } from "../helpers/factories";
import { makeSendingSetup, type SendingSetup } from "../helpers/sending";

process.env.FANOUT_TIMEZONE = "Asia/Shanghai";

type Json = Record<string, unknown> & { error?: { code: string; message: string; details?: { field?: string } } };
const noParams = { params: Promise.resolve({}) };

function get(route: typeof sendsRoute, key: string, query: string) {
  return route(new Request(`http://fanout.test/api/v1/stats${query}`, { headers: { authorization: `Bearer ${key}` } }), noParams);
}

async function answer(route: typeof sendsRoute, key: string, query: string): Promise<Json> {
  const response = await get(route, key, query);
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
}

type Counts = Omit<RollupRow, "day" | "departmentId" | "clientIp" | "senderDomain" | "recipientDomain">;

const custom: ReportRange = { period: "custom", from: "2026-11-01", to: "2026-11-03" };

describeOnDatabases("reports and the stats API", (db) => {
  let alpha: SendingSetup;
  let beta: SendingSetup;
  let alphaKey: string;
  let betaKey: string;
  let companyKey: string;
  let taskId: string;
  const ctxOf = (actor: Actor): Ctx => ({ db: db(), actor });

  beforeAll(async () => {
    [alpha, beta] = await Promise.all([makeSendingSetup(db(), { count: 0 }), makeSendingSetup(db(), { count: 0 })]);
    await db().update(departments).set({ name: "Alpha 市场部" }).where(eq(departments.id, alpha.departmentId));
    await db().update(departments).set({ name: "Beta 销售部" }).where(eq(departments.id, beta.departmentId));
    const admin: Ctx = { db: db(), actor: systemActor("test") };
    alphaKey = (await createApiKey(admin, { name: "alpha", scope: { company: false, departmentId: alpha.departmentId } })).secret;
    betaKey = (await createApiKey(admin, { name: "beta", scope: { company: false, departmentId: beta.departmentId } })).secret;
    companyKey = (await createApiKey(admin, { name: "company", scope: { company: true } })).secret;

    const row = (day: string, departmentId: string, clientIp: string, senderDomain: string, recipientDomain: string, counts: Counts) => ({
      day,
      departmentId,
      clientIp,
      senderDomain,
      recipientDomain,
      ...counts,
    });
    const a = alpha.departmentId;
    const b = beta.departmentId;
    await addRollupRows(db(), [
        row("2026-11-01", a, "10.0.0.1", "a.example", "qq.com", {
          sent: 100,
          failed: 5,
          userUnknown: 3,
          mailboxFull: 1,
          rejected: 1,
          delivered: 90,
          bounced: 2,
          complained: 1,
          unsubscribed: 2,
          opened: 40,
          clicked: 10,
          machineOpened: 5,
          machineClicked: 3,
        }),
        row("2026-11-01", a, "10.0.0.1", "a.example", "gmail.com", { sent: 50, failed: 2, other: 2, delivered: 45, opened: 20, clicked: 5 }),
        row("2026-11-01", a, "10.0.0.2", "news.a.example", "qq.com", { sent: 30, delivered: 30 }),
        row("2026-11-02", b, "10.0.0.3", "b.example", "qq.com", { sent: 70, failed: 7, rejected: 7, delivered: 60, opened: 14 }),
        // Late opens of earlier sends: feedback on a day with nothing sent.
        row("2026-11-03", a, "10.0.0.1", "a.example", "qq.com", { opened: 3 }),
        // Outside the range on both sides.
        row("2026-10-31", a, "10.0.0.1", "a.example", "qq.com", { sent: 1000, failed: 100, other: 100 }),
        row("2026-11-04", b, "10.0.0.3", "b.example", "qq.com", { sent: 2000, failed: 200, rejected: 200 }),
    ]);

    const [task] = await db()
      .insert(tasks)
      .values({
        departmentId: a,
        name: "November newsletter",
        templateId: alpha.templateId,
        templateVersion: 1,
        senderId: alpha.senderId,
        status: "completed",
        scheduledAt: new Date("2026-11-01T01:00:00Z"),
        startedAt: new Date("2026-11-01T01:00:05Z"),
        finishedAt: new Date("2026-11-01T01:20:00Z"),
        total: 200,
        sent: 180,
        delivered: 165,
        failed: 7,
        suppressed: 13,
        opened: 60,
        clicked: 15,
        unsubscribed: 2,
        bounced: 2,
        complained: 1,
      })
      .returning({ id: tasks.id });
    taskId = task!.id;
    await db()
      .insert(taskLinks)
      .values(Array.from({ length: 25 }, (_, index) => ({ taskId, url: `https://a.example/article/${index}`, clicks: 100 - index, uniqueClicks: index, machineClicks: index % 3 })));
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("GET /stats/sends sums sent per day, department, IP and sender domain, within the range only", async () => {
    const body = await answer(sendsRoute, companyKey, "?period=custom&from=2026-11-01&to=2026-11-03");
    expect(body).toEqual({
      period: "custom",
      from: "2026-11-01",
      to: "2026-11-03",
      total: 250,
      rows: [
        { date: "2026-11-01", departmentId: alpha.departmentId, department: "Alpha 市场部", ip: "10.0.0.1", domain: "a.example", sent: 150 },
        { date: "2026-11-01", departmentId: alpha.departmentId, department: "Alpha 市场部", ip: "10.0.0.2", domain: "news.a.example", sent: 30 },
        { date: "2026-11-02", departmentId: beta.departmentId, department: "Beta 销售部", ip: "10.0.0.3", domain: "b.example", sent: 70 },
      ],
    });
  });

  it("GET /stats/failures sums failures by category per sender domain, or per recipient domain with by=recipient", async () => {
    const bySender = await answer(failuresRoute, companyKey, "?period=custom&from=2026-11-01&to=2026-11-03");
    expect(bySender).toMatchObject({ from: "2026-11-01", to: "2026-11-03", by: "sender", total: 14 });
    expect(bySender.rows).toEqual([
      { date: "2026-11-01", departmentId: alpha.departmentId, department: "Alpha 市场部", domain: "a.example", failed: 7, user_unknown: 3, mailbox_full: 1, rejected: 1, other: 2 },
      { date: "2026-11-02", departmentId: beta.departmentId, department: "Beta 销售部", domain: "b.example", failed: 7, user_unknown: 0, mailbox_full: 0, rejected: 7, other: 0 },
    ]);
    const byRecipient = await answer(failuresRoute, companyKey, "?period=custom&from=2026-11-01&to=2026-11-03&by=recipient");
    expect(byRecipient.total).toBe(14);
    expect((byRecipient.rows as Json[]).map((row) => [row.date, row.department, row.domain, row.failed])).toEqual([
      ["2026-11-01", "Alpha 市场部", "gmail.com", 2],
      ["2026-11-01", "Alpha 市场部", "qq.com", 5],
      ["2026-11-02", "Beta 销售部", "qq.com", 7],
    ]);
  });

  it("a department key sees its own department's rows only", async () => {
    const alphaSends = await answer(sendsRoute, alphaKey, "?from=2026-11-01&to=2026-11-03");
    expect(alphaSends.total).toBe(180);
    expect(new Set((alphaSends.rows as Json[]).map((row) => row.department))).toEqual(new Set(["Alpha 市场部"]));
    const betaSends = await answer(sendsRoute, betaKey, "?period=custom&from=2026-11-01&to=2026-11-03");
    expect(betaSends).toMatchObject({ total: 70, rows: [{ department: "Beta 销售部", sent: 70 }] });
    const betaFailures = await answer(failuresRoute, betaKey, "?period=custom&from=2026-10-01&to=2026-11-30");
    expect(betaFailures).toMatchObject({ total: 207, rows: [{ date: "2026-11-02" }, { date: "2026-11-04", rejected: 200 }] });
  });

  it("computes today, this week and this month in the company zone at the request's time", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-03T04:00:00Z")); // Tuesday 3 November, noon in Shanghai
    const month = await answer(sendsRoute, companyKey, "");
    expect(month).toMatchObject({ period: "this_month", from: "2026-11-01", to: "2026-11-03", total: 250 });
    expect(await answer(sendsRoute, companyKey, "?period=yesterday")).toMatchObject({ from: "2026-11-02", to: "2026-11-02", total: 70 });
    expect(await answer(sendsRoute, companyKey, "?period=this_week")).toMatchObject({ from: "2026-11-02", to: "2026-11-03", total: 70 });
    expect(await answer(sendsRoute, companyKey, "?period=last_week")).toMatchObject({ from: "2026-10-26", to: "2026-11-01", total: 1180 });
    expect(await answer(sendsRoute, companyKey, "?period=today")).toMatchObject({ from: "2026-11-03", to: "2026-11-03", total: 0, rows: [] });
    vi.setSystemTime(new Date("2026-11-03T16:00:00Z")); // Wednesday 00:00 in Shanghai
    expect(await answer(failuresRoute, companyKey, "?period=today")).toMatchObject({ from: "2026-11-04", to: "2026-11-04", total: 200 });
  });

  it("refuses a bad period, bad dates and a bad grouping with 400 naming the field", async () => {
    const cases: [typeof sendsRoute, string, string][] = [
      [sendsRoute, "?period=fortnight", "period"],
      [sendsRoute, "?period=custom&to=2026-11-03", "from"],
      [sendsRoute, "?period=custom&from=2026-13-01&to=2026-11-03", "from"],
      [failuresRoute, "?period=custom&from=2026-11-03&to=2026-11-01", "to"],
      [failuresRoute, "?period=custom&from=2025-01-01&to=2026-11-01", "to"],
      [failuresRoute, "?by=domain", "by"],
    ];
    for (const [route, query, field] of cases) {
      const response = await get(route, alphaKey, query);
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as Json;
      expect(body.error).toMatchObject({ code: "invalid_input", details: { field } });
      // The refusal says why in English and carries the reason the console words in Chinese.
      expect(body.error!.message, query).not.toBe("");
      expect(describeRefusal(reasonsZh, { ...(body.error as Refusal), field }), query).toMatch(/[\u4e00-\u9fff]/);
    }
    expect((await get(sendsRoute, "fo_not-a-key", "")).status).toBe(401);
  });

  it("limits a manager to the departments they may read", async () => {
    const user = await makeUser(db(), "manager", { managed: [alpha.departmentId] });
    const manager = ctxOf(actorFor(user, "manager", null, [alpha.departmentId]));
    expect((await sendReport(manager, custom)).total).toBe(180);
    expect((await failureReport(manager, custom)).rows.map((row) => row.department)).toEqual(["Alpha 市场部"]);
    expect((await sendsPerDay(manager, custom)).departments).toEqual(["Alpha 市场部"]);
    expect((await reportSummary(manager, custom)).sent).toBe(180);
    const nobody = ctxOf(actorFor(user, "manager", null, []));
    expect(await sendReport(nobody, custom)).toEqual({ from: "2026-11-01", to: "2026-11-03", total: 0, rows: [] });
    const everyone = ctxOf(actorFor(user, "manager", null, "all"));
    expect((await sendReport(everyone, custom)).total).toBe(250);
  });

  it("fills every day of a chart, empty days with zeros", async () => {
    const admin = ctxOf(systemActor("test"));
    const range: ReportRange = { period: "custom", from: "2026-10-30", to: "2026-11-03" };
    expect(await sendsPerDay(admin, range)).toEqual({
      departments: ["Alpha 市场部", "Beta 销售部"],
      points: [
        { date: "2026-10-30", byDepartment: {}, total: 0 },
        { date: "2026-10-31", byDepartment: { "Alpha 市场部": 1000 }, total: 1000 },
        { date: "2026-11-01", byDepartment: { "Alpha 市场部": 180 }, total: 180 },
        { date: "2026-11-02", byDepartment: { "Beta 销售部": 70 }, total: 70 },
        { date: "2026-11-03", byDepartment: {}, total: 0 },
      ],
    });
    expect(await failureCategoriesPerDay(admin, custom)).toEqual([
      { date: "2026-11-01", user_unknown: 3, mailbox_full: 1, rejected: 1, other: 2 },
      { date: "2026-11-02", user_unknown: 0, mailbox_full: 0, rejected: 7, other: 0 },
      { date: "2026-11-03", user_unknown: 0, mailbox_full: 0, rejected: 0, other: 0 },
    ]);
    expect(await engagementPerDay(admin, custom)).toEqual([
      { date: "2026-11-01", sent: 180, delivered: 165, opened: 60, clicked: 15, unsubscribed: 2, machineOpened: 5, machineClicked: 3 },
      { date: "2026-11-02", sent: 70, delivered: 60, opened: 14, clicked: 0, unsubscribed: 0, machineOpened: 0, machineClicked: 0 },
      { date: "2026-11-03", sent: 0, delivered: 0, opened: 3, clicked: 0, unsubscribed: 0, machineOpened: 0, machineClicked: 0 },
    ]);
    const beforeAnything = await engagementPerDay(admin, { period: "custom", from: "2026-01-01", to: "2026-01-02" });
    expect(beforeAnything.map((point) => [point.date, point.sent])).toEqual([
      ["2026-01-01", 0],
      ["2026-01-02", 0],
    ]);
  });

  it("sums the range with rates over sent that leave machine opens and clicks out", async () => {
    const admin = ctxOf(systemActor("test"));
    expect(await reportSummary(admin, custom)).toEqual({
      sent: 250,
      failed: 14,
      delivered: 225,
      bounced: 2,
      complained: 1,
      opened: 77,
      clicked: 15,
      unsubscribed: 2,
      machineOpened: 5,
      machineClicked: 3,
      openRate: 77 / 250,
      clickRate: 15 / 250,
    });
    const empty = await reportSummary(admin, { period: "custom", from: "2026-01-01", to: "2026-01-31" });
    expect(empty).toMatchObject({ sent: 0, opened: 0, openRate: null, clickRate: null });
    const betaUser = await makeUser(db(), "department", { departmentId: beta.departmentId });
    expect(await reportSummary(ctxOf(actorFor(betaUser, "department", beta.departmentId)), resolvePeriod({ from: "2026-11-01", to: "2026-11-30" }, new Date(), "Asia/Shanghai"))).toMatchObject({
      sent: 2070,
      failed: 207,
      openRate: 14 / 2070,
    });
  });

  it("writes both tables as CSV, headed in the caller's words", async () => {
    const admin = ctxOf(systemActor("test"));
    const lines = async (source: AsyncIterable<string>) => {
      let text = "";
      for await (const line of source) text += line;
      return text;
    };
    expect(await lines(sendReportCsv((await sendReport(admin, custom)).rows))).toBe(
      "date,department,ip,domain,sent\r\n2026-11-01,Alpha 市场部,10.0.0.1,a.example,150\r\n2026-11-01,Alpha 市场部,10.0.0.2,news.a.example,30\r\n2026-11-02,Beta 销售部,10.0.0.3,b.example,70\r\n",
    );
    const failures = await lines(failureReportCsv((await failureReport(admin, custom)).rows, ["日期", "部门", "域名", "失败", "用户不存在", "邮箱满", "被拒", "其他"]));
    expect(failures.split("\r\n")).toEqual(["日期,部门,域名,失败,用户不存在,邮箱满,被拒,其他", "2026-11-01,Alpha 市场部,a.example,7,3,1,1,2", "2026-11-02,Beta 销售部,b.example,7,0,0,7,0", ""]);
  });

  it("reports a task's funnel and its 20 most clicked links, and hides other departments' tasks", async () => {
    const alphaUser = await makeUser(db(), "department", { departmentId: alpha.departmentId });
    const report = await taskReport(ctxOf(actorFor(alphaUser, "department", alpha.departmentId)), taskId);
    expect(report.task).toEqual({
      id: taskId,
      name: "November newsletter",
      status: "completed",
      departmentId: alpha.departmentId,
      department: "Alpha 市场部",
      createdAt: expect.any(String),
      startedAt: "2026-11-01T01:00:05.000Z",
      finishedAt: "2026-11-01T01:20:00.000Z",
    });
    expect(report.funnel).toEqual({ sent: 180, delivered: 165, opened: 60, clicked: 15, unsubscribed: 2, bounced: 2, complained: 1, failed: 7, suppressed: 13, total: 200 });
    expect(report.topLinks).toHaveLength(20);
    expect(report.topLinks[0]).toEqual({ url: "https://a.example/article/24", clicks: 76, uniqueClicks: 24, machineClicks: 0 });
    expect(report.topLinks.map((link) => link.uniqueClicks)).toEqual(Array.from({ length: 20 }, (_, index) => 24 - index));

    const admin = await taskReport(ctxOf(systemActor("test")), taskId);
    expect(admin.funnel.sent).toBe(180);
    const betaUser = await makeUser(db(), "department", { departmentId: beta.departmentId });
    const manager = await makeUser(db(), "manager", { managed: [beta.departmentId] });
    for (const actor of [actorFor(betaUser, "department", beta.departmentId), actorFor(manager, "manager", null, [beta.departmentId])]) {
      const refusal = await taskReport(ctxOf(actor), taskId).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(AppError);
      expect((refusal as AppError).status).toBe(404);
    }
    const unknown = await taskReport(ctxOf(systemActor("test")), "not-a-task").catch((error: unknown) => error);
    expect((unknown as AppError).status).toBe(404);
  });
});
