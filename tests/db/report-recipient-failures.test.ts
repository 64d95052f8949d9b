import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { deliveries, departments, tasks, type BounceCategory } from "@/db/schema";
import type { Actor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { addToRollup, addToRollups, recipientDomainOf, type RollupCounts } from "@/lib/deliveries/rollups";
import { failureReportCsv } from "@/lib/reports/csv";
import { failureReport, type FailureRow } from "@/lib/reports/queries";
import { OTHER_DOMAINS, TOP_RECIPIENT_DOMAINS } from "@/lib/reports/recipient-failures";
import { startOfZonedDay } from "@/lib/time/zone";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeUser } from "../helpers/factories";
import { makeSendingSetup, type SendingSetup } from "../helpers/sending";
import { eq } from "drizzle-orm";

const ZONE = "Asia/Shanghai";
process.env.FANOUT_TIMEZONE = ZONE;

const CATEGORIES: BounceCategory[] = ["user_unknown", "mailbox_full", "rejected", "other"];
const range = { period: "custom" as const, from: "2026-11-01", to: "2026-11-02" };

type Mailing = { day: string; failuresByDomain: Record<string, number>; sentOnly?: string[]; lateBounces?: Record<string, number> };

/**
 * A task's answers on one day as the engine records them (one addToRollups per batch with a group
 * per recipient domain), late bounces as the feedback path records them (addToRollup per delivery),
 * and the deliveries they count.
 */
async function mail(setup: SendingSetup, taskId: string, { day, failuresByDomain, sentOnly = [], lateBounces = {} }: Mailing) {
  const at = new Date(startOfZonedDay(day, ZONE).getTime() + 10 * 3_600_000);
  const rows: { email: string; status: "sent" | "failed"; category: BounceCategory | null; bounced: boolean }[] = [];
  let n = 0;
  for (const [domain, failures] of Object.entries(failuresByDomain)) {
    for (let index = 0; index < failures; index++) rows.push({ email: `f${n++}.${day}@${domain}`, status: "failed", category: CATEGORIES[(index + domain.length) % 4]!, bounced: false });
    rows.push({ email: `s${n++}.${day}@${domain}`, status: "sent", category: null, bounced: false });
  }
  for (const domain of sentOnly) rows.push({ email: `s${n++}.${day}@${domain}`, status: "sent", category: null, bounced: false });
  for (const [domain, bounces] of Object.entries(lateBounces)) {
    for (let index = 0; index < bounces; index++) rows.push({ email: `b${n++}.${day}@${domain}`, status: "failed", category: "mailbox_full", bounced: true });
  }
  const db = setup.ctx.db;
  await db.insert(deliveries).values(
    rows.map((row) => ({
      taskId,
      departmentId: setup.departmentId,
      email: row.email,
      status: row.status,
      category: row.category,
      attempts: 1,
      sentAt: at,
      bouncedAt: row.bounced ? new Date(at.getTime() + 3_600_000) : null,
    })),
  );
  const key = { departmentId: setup.departmentId, clientIp: "10.0.0.1", senderDomain: "news.example" };
  // The send's answers: a late bounce was accepted first.
  const groups = new Map<string, RollupCounts>();
  for (const row of rows) {
    const counts = groups.get(recipientDomainOf(row.email)) ?? {};
    if (row.status === "sent" || row.bounced) counts.sent = (counts.sent ?? 0) + 1;
    else {
      counts.failed = (counts.failed ?? 0) + 1;
      counts[row.category!] = (counts[row.category!] ?? 0) + 1;
    }
    groups.set(recipientDomainOf(row.email), counts);
  }
  await db.transaction((tx) => addToRollups(tx, key, [...groups].map(([recipientDomain, counts]) => ({ recipientDomain, counts })), at));
  for (const row of rows.filter((row) => row.bounced)) {
    await db.transaction((tx) => addToRollup(tx, { ...key, email: row.email }, { failed: 1, bounced: 1, mailbox_full: 1 }, new Date(at.getTime() + 3_600_000)));
  }
}

type Counted = Omit<FailureRow, "department" | "others">;

/**
 * What the report should say, counted straight from the deliveries: per day and department, the
 * top domains by failures (ties by name), each with all its failures, and the rest in one row.
 */
async function countedFromDeliveries(ctx: Ctx, departmentIds: string[]): Promise<Counted[]> {
  const counted = await queryRows<{ date: string; department_id: string; name: string; domain: string; failed: number; user_unknown: number; mailbox_full: number; rejected: number; other: number }>(
    ctx.db,
    sql`select to_char((coalesce(bounced_at, sent_at) at time zone ${ZONE})::date, 'YYYY-MM-DD') as date, department_id, min(d.name) as name, split_part(email, '@', 2) as domain,
          count(*)::int as failed,
          (count(*) filter (where category = 'user_unknown'))::int as user_unknown, (count(*) filter (where category = 'mailbox_full'))::int as mailbox_full,
          (count(*) filter (where category = 'rejected'))::int as rejected, (count(*) filter (where category = 'other'))::int as other
        from deliveries join departments d on d.id = deliveries.department_id
        where status = 'failed' and department_id in (${sql.join(
          departmentIds.map((id) => sql`${id}`),
          sql`, `,
        )})
        group by 1, 2, 4`,
  );
  const byDay = new Map<string, typeof counted>();
  for (const row of counted) byDay.set(`${row.date}|${row.name}`, [...(byDay.get(`${row.date}|${row.name}`) ?? []), row]);
  const expected: Counted[] = [];
  for (const [, rows] of [...byDay].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const ranked = [...rows].sort((a, b) => b.failed - a.failed || (a.domain < b.domain ? -1 : 1));
    const top = ranked.slice(0, TOP_RECIPIENT_DOMAINS).sort((a, b) => (a.domain < b.domain ? -1 : 1));
    const rest = ranked.slice(TOP_RECIPIENT_DOMAINS);
    const row = (domain: string, of: typeof rows) => ({
      date: of[0]!.date,
      departmentId: of[0]!.department_id,
      domain,
      failed: of.reduce((sum, r) => sum + r.failed, 0),
      user_unknown: of.reduce((sum, r) => sum + r.user_unknown, 0),
      mailbox_full: of.reduce((sum, r) => sum + r.mailbox_full, 0),
      rejected: of.reduce((sum, r) => sum + r.rejected, 0),
      other: of.reduce((sum, r) => sum + r.other, 0),
    });
    expected.push(...top.map((r) => row(r.domain, [r])));
    if (rest.length > 0) expected.push(row(OTHER_DOMAINS, rest));
  }
  return expected;
}

const withoutNames = (rows: FailureRow[]): Counted[] => rows.map(({ department: _name, others: _others, ...row }) => row);

describeOnDatabases("failures by recipient domain: top domains and the others", (db) => {
  let alpha: SendingSetup;
  let beta: SendingSetup;
  let admin: Actor;
  let alphaUser: Actor;
  let betaUser: Actor;
  const ctxOf = (actor: Actor): Ctx => ({ db: db(), actor });

  beforeAll(async () => {
    [alpha, beta] = await Promise.all([makeSendingSetup(db(), { count: 0 }), makeSendingSetup(db(), { count: 0 })]);
    // Named so that Beta sorts first: the report orders departments by name, not by id.
    await db().update(departments).set({ name: "Z Alpha" }).where(eq(departments.id, alpha.departmentId));
    await db().update(departments).set({ name: "A Beta" }).where(eq(departments.id, beta.departmentId));
    admin = actorFor(await makeUser(db(), "admin"), "admin");
    alphaUser = actorFor(await makeUser(db(), "department", { departmentId: alpha.departmentId }), "department", alpha.departmentId);
    betaUser = actorFor(await makeUser(db(), "department", { departmentId: beta.departmentId }), "department", beta.departmentId);
    const taskOf = async (setup: SendingSetup) => {
      const [task] = await db()
        .insert(tasks)
        .values({ departmentId: setup.departmentId, name: "Mailing", templateId: setup.templateId, templateVersion: 1, senderId: setup.senderId, status: "completed", scheduledAt: new Date("2026-11-01T00:00:00Z") })
        .returning({ id: tasks.id });
      return task!.id;
    };
    const alphaTask = await taskOf(alpha);
    const betaTask = await taskOf(beta);
    // 14 failing domains on the 1st (four past the top ten, ties at the edge broken by name), a late bounce on a shared domain.
    await mail(alpha, alphaTask, {
      day: "2026-11-01",
      failuresByDomain: Object.fromEntries(Array.from({ length: 14 }, (_, index) => [`alpha${String(index).padStart(2, "0")}.example`, index < 8 ? 9 - index : 2])),
      sentOnly: ["quiet.example"],
      lateBounces: { "alpha13.example": 3 },
    });
    await mail(alpha, alphaTask, { day: "2026-11-02", failuresByDomain: { "qq.com": 4, "163.com": 1 } });
    await mail(beta, betaTask, {
      day: "2026-11-01",
      failuresByDomain: Object.fromEntries(Array.from({ length: 12 }, (_, index) => [`beta-secret${index}.example`, 12 - index])),
    });
    // Outside the range.
    await mail(beta, betaTask, { day: "2026-11-03", failuresByDomain: Object.fromEntries(Array.from({ length: 12 }, (_, index) => [`later${index}.example`, 1])) });
  });

  it("gives an admin every department's top domains per day, each with all its failures, and the rest in one others row", async () => {
    const report = await failureReport(ctxOf(admin), range, "recipient");
    expect(withoutNames(report.rows)).toEqual(await countedFromDeliveries(ctxOf(admin), [alpha.departmentId, beta.departmentId]).then((rows) => rows.filter((row) => row.date <= range.to)));
    const alphaFirst = report.rows.filter((row) => row.date === "2026-11-01" && row.department === "Z Alpha");
    expect(alphaFirst).toHaveLength(TOP_RECIPIENT_DOMAINS + 1);
    // The last of the top ten: alpha13 with 2 + 3 late bounces; the rest tie at 2 and fold by name.
    expect(alphaFirst.map((row) => row.domain)).toContain("alpha13.example");
    expect(alphaFirst.at(-1)).toMatchObject({ domain: OTHER_DOMAINS, others: true, failed: 2 * 4 });
    expect(alphaFirst.map((row) => row.domain)).not.toContain("quiet.example");
    // Departments by name, then domains by name, the others last.
    expect([...new Set(report.rows.map((row) => `${row.date} ${row.department}`))]).toEqual(["2026-11-01 A Beta", "2026-11-01 Z Alpha", "2026-11-02 Z Alpha"]);
    // Alpha on the 1st: 9 + 8 + … + 2, six more domains with 2 and three late bounces; on the 2nd, 5; Beta 12 + 11 + … + 1.
    expect(report.total).toBe(44 + 12 + 3 + 5 + 78);
    expect(report.rows.filter((row) => row.others)).toHaveLength(2);
    // The CSV names the others row in the reader's words, and no domain is called that.
    let csv = "";
    for await (const line of failureReportCsv(report.rows, ["日期", "部门", "收件域名", "失败", "用户不存在", "邮箱满", "被拒", "其他"], "其他域名")) csv += line;
    expect(csv.split("\r\n").filter((line) => line.includes("其他域名"))).toEqual([expect.stringMatching(/^2026-11-01,A Beta,其他域名,3,/), expect.stringMatching(/^2026-11-01,Z Alpha,其他域名,8,/)]);
  });

  it("gives a department user its own department's domains and others only", async () => {
    const alphaReport = await failureReport(ctxOf(alphaUser), range, "recipient");
    expect(withoutNames(alphaReport.rows)).toEqual(await countedFromDeliveries(ctxOf(admin), [alpha.departmentId]));
    expect(alphaReport.rows.some((row) => row.domain.startsWith("beta-secret"))).toBe(false);
    expect(new Set(alphaReport.rows.map((row) => row.departmentId))).toEqual(new Set([alpha.departmentId]));

    const betaReport = await failureReport(ctxOf(betaUser), range, "recipient");
    expect(withoutNames(betaReport.rows)).toEqual(await countedFromDeliveries(ctxOf(admin), [beta.departmentId]).then((rows) => rows.filter((row) => row.date <= range.to)));
    expect(betaReport.rows.at(-1)).toMatchObject({ date: "2026-11-01", domain: OTHER_DOMAINS, others: true, failed: 2 + 1 });
    expect(betaReport.total).toBe(78);
    expect(betaReport.rows.some((row) => row.domain.startsWith("alpha"))).toBe(false);
  });

  it("shows every domain and no others row when a day and department has ten failing domains or fewer", async () => {
    const report = await failureReport(ctxOf(alphaUser), { period: "custom", from: "2026-11-02", to: "2026-11-02" }, "recipient");
    expect(report.rows.map((row) => [row.domain, row.failed])).toEqual([
      ["163.com", 1],
      ["qq.com", 4],
    ]);
  });
});
