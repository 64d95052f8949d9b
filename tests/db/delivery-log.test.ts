import { renderToStaticMarkup } from "react-dom/server";
import { beforeAll, expect, it, vi } from "vitest";
import DeliveryTrailPage from "@/app/(console)/logs/deliveries/[id]/page";
import { GET as exportRoute } from "@/app/(console)/logs/deliveries/export/route";
import { deliveryLogFilters } from "@/app/(console)/logs/deliveries/filters";
import DeliveryLogPage from "@/app/(console)/logs/deliveries/page";
import { sessionCookieName } from "@/lib/auth/session";
import { auditLog, deliveries, deliveryEvents, tasks, type BounceCategory, type DeliveryStatus } from "@/db/schema";
import type { Database } from "@/db/client";
import { systemActor, type Actor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { AppError } from "@/lib/errors";
import type { DeliveryLogFilters } from "@/lib/deliveries/listing";
import { exportDeliveries } from "@/lib/reports/delivery-export";
import { recentTasks, searchDeliveries } from "@/lib/reports/delivery-log";
import { deliveryTrail } from "@/lib/reports/delivery-trail";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeUser } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { serveAs } from "../helpers/next-headers";
import { makeSendingSetup, type SendingSetup } from "../helpers/sending";
import { eq, inArray, sql } from "drizzle-orm";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const ZONE = "Asia/Shanghai";
// 2026-03-10 00:00 in Shanghai.
const MIDNIGHT = new Date("2026-03-09T16:00:00Z");

type Seed = { email: string; status: DeliveryStatus; category?: BounceCategory; sentAt?: Date | null; code?: number; error?: string; openCount?: number };

async function makeTask(db: Database, setup: SendingSetup, name: string) {
  const [task] = await db
    .insert(tasks)
    .values({ departmentId: setup.departmentId, name, templateId: setup.templateId, templateVersion: 1, senderId: setup.senderId, fromName: "News desk", status: "completed", scheduledAt: new Date("2026-03-09T10:00:00Z"), startedAt: new Date("2026-03-09T10:00:00Z") })
    .returning({ id: tasks.id });
  return task!.id;
}

async function addDeliveries(db: Database, setup: SendingSetup, taskId: string, seeds: Seed[]) {
  const rows = await db
    .insert(deliveries)
    .values(
      seeds.map((seed) => ({
        taskId,
        departmentId: setup.departmentId,
        email: seed.email,
        status: seed.status,
        category: seed.category ?? null,
        code: seed.code ?? (seed.status === "failed" ? 550 : 250),
        error: seed.error ?? null,
        attempts: seed.status === "queued" ? 0 : 1,
        sentAt: seed.sentAt === undefined ? new Date(MIDNIGHT.getTime() + 60_000) : seed.sentAt,
        openCount: seed.openCount ?? 0,
      })),
    )
    .returning({ id: deliveries.id, email: deliveries.email });
  return new Map(rows.map((row) => [row.email, row.id]));
}

describeOnDatabases("delivery log", (db) => {
  let alpha: SendingSetup;
  let beta: SendingSetup;
  let alphaTask: string;
  let alphaOther: string;
  let betaTask: string;
  let ids: Map<string, number>;
  let betaIds: Map<string, number>;
  let alphaUser: Actor;
  let betaUser: Actor;
  let alphaManager: Actor;
  let alphaMember: { id: string; email: string };
  const admin: Ctx["actor"] = systemActor("test");
  const as = (actor: Actor): Ctx => ({ db: db(), actor });
  const search = (actor: Actor, filters: DeliveryLogFilters, limit = 50, window?: number) => searchDeliveries(as(actor), filters, limit, { timeZone: ZONE, window });
  const emails = (page: { rows: { email: string }[] }) => page.rows.map((row) => row.email);

  beforeAll(async () => {
    [alpha, beta] = await Promise.all([makeSendingSetup(db(), { count: 1 }), makeSendingSetup(db(), { count: 1 })]);
    alphaTask = await makeTask(db(), alpha, "Spring newsletter");
    alphaOther = await makeTask(db(), alpha, "Product launch");
    betaTask = await makeTask(db(), beta, "Beta digest");
    ids = await addDeliveries(db(), alpha, alphaTask, [
      ...Array.from({ length: 20 }, (_, i): Seed => ({ email: `reader-${i}@alpha.test`, status: "sent", openCount: i % 3 })),
      { email: "ghost@alpha.test", status: "failed", category: "user_unknown", code: 550, error: "5.1.1 no such user" },
      { email: "full@alpha.test", status: "failed", category: "mailbox_full", code: 552, error: "5.2.2 mailbox full" },
      { email: "late@alpha.test", status: "sent", sentAt: new Date(MIDNIGHT.getTime() - 1_000) },
      { email: "waiting@alpha.test", status: "queued", sentAt: null },
    ]);
    const other = await addDeliveries(db(), alpha, alphaOther, [
      { email: "reader-1@alpha.test", status: "failed", category: "rejected", code: 554, error: "5.7.1 spam" },
      { email: "boss@alpha.test", status: "delivered" },
    ]);
    for (const [email, id] of other) ids.set(`other:${email}`, id);
    betaIds = await addDeliveries(db(), beta, betaTask, [
      { email: "reader-1@alpha.test", status: "sent" },
      { email: "someone@beta.test", status: "failed", category: "user_unknown" },
    ]);
    alphaMember = await makeUser(db(), "department", { departmentId: alpha.departmentId });
    const betaMember = await makeUser(db(), "department", { departmentId: beta.departmentId });
    const manager = await makeUser(db(), "manager", { managed: [alpha.departmentId] });
    alphaUser = actorFor(alphaMember, "department", alpha.departmentId);
    betaUser = actorFor(betaMember, "department", beta.departmentId);
    alphaManager = actorFor(manager, "manager", null, [alpha.departmentId]);

    const ghost = ids.get("ghost@alpha.test")!;
    const at = (seconds: number) => new Date(MIDNIGHT.getTime() + seconds * 1_000);
    await db()
      .update(deliveries)
      .set({ sentAt: at(60), attempts: 2, enhancedStatus: "5.1.1", providerId: "prov-1", messageId: "<t.1@alpha.test>" })
      .where(eq(deliveries.id, ghost));
    await db()
      .insert(deliveryEvents)
      .values([
        // Inserted out of time order: the trail orders by time.
        { deliveryId: ghost, departmentId: alpha.departmentId, type: "opened", source: "tracking", machine: true, detail: { userAgent: "GoogleImageProxy", ip: "66.249.0.1" }, occurredAt: at(120) },
        { deliveryId: ghost, departmentId: alpha.departmentId, type: "retry", source: "smtp", detail: { reply: "451 4.3.0 try later", code: 451, nested: { a: 1 } }, occurredAt: at(10) },
        { deliveryId: ghost, departmentId: alpha.departmentId, type: "clicked", source: "tracking", detail: { url: "https://example.com/offer" }, occurredAt: at(180) },
      ]);
  });

  it("lists newest first across tasks, with task and department names, for an admin", async () => {
    const page = await search(admin, {}, 100);
    const mine = page.rows.filter((row) => row.departmentId === alpha.departmentId || row.departmentId === beta.departmentId);
    expect(mine).toHaveLength(28);
    const ownIds = mine.map((row) => row.id);
    expect(ownIds).toEqual([...ownIds].sort((a, b) => b - a));
    expect(mine.find((row) => row.id === ids.get("ghost@alpha.test"))).toMatchObject({
      email: "ghost@alpha.test",
      taskId: alphaTask,
      taskName: "Spring newsletter",
      status: "failed",
      category: "user_unknown",
      code: 550,
      enhancedStatus: "5.1.1",
      error: "5.1.1 no such user",
    });
    expect(mine.find((row) => row.departmentId === beta.departmentId)?.department).toBeTruthy();
  });

  it("filters by exact and partial address, status, category and task", async () => {
    expect(emails(await search(alphaUser, { q: "Reader-1@alpha.test" })).sort()).toEqual(["reader-1@alpha.test", "reader-1@alpha.test"]);
    const exact = await search(admin, { q: "reader-1@alpha.test" });
    expect(exact.rows.map((row) => row.taskId).sort()).toEqual([alphaTask, alphaOther, betaTask].sort());
    // Part of an address: contains, with LIKE's wildcards taken literally.
    expect(emails(await search(alphaUser, { q: "reader-1" })).sort()).toEqual(
      ["reader-1@alpha.test", "reader-1@alpha.test", ...Array.from({ length: 10 }, (_, i) => `reader-1${i}@alpha.test`)].sort(),
    );
    expect(emails(await search(alphaUser, { q: "reader_1" }))).toEqual([]);
    expect(emails(await search(alphaUser, { q: "@ALPHA" }))).toHaveLength(26);
    expect(emails(await search(alphaUser, { status: "failed" })).sort()).toEqual(["full@alpha.test", "ghost@alpha.test", "reader-1@alpha.test"]);
    expect(emails(await search(alphaUser, { status: "failed", taskId: alphaTask })).sort()).toEqual(["full@alpha.test", "ghost@alpha.test"]);
    expect(emails(await search(alphaUser, { category: "mailbox_full" }))).toEqual(["full@alpha.test"]);
    expect(emails(await search(alphaUser, { category: "rejected", q: "reader" }))).toEqual(["reader-1@alpha.test"]);
    expect(emails(await search(alphaUser, { taskId: alphaOther })).sort()).toEqual(["boss@alpha.test", "reader-1@alpha.test"]);
    await expect(search(alphaUser, { status: "bounced" as DeliveryStatus })).rejects.toMatchObject({ code: "invalid_input" });
    await expect(search(alphaUser, { taskId: "not-a-task" })).rejects.toMatchObject({ code: "invalid_input" });
    await expect(search(alphaUser, { from: "2026-02-30" })).rejects.toMatchObject({ code: "invalid_input" });
  });

  it("takes dates as calendar days in the zone, on the time of the send's answer", async () => {
    const tenth = emails(await search(alphaUser, { from: "2026-03-10", to: "2026-03-10" }, 100));
    expect(tenth).toHaveLength(24);
    expect(tenth).not.toContain("late@alpha.test");
    expect(tenth).not.toContain("waiting@alpha.test");
    expect(emails(await search(alphaUser, { to: "2026-03-09" }))).toEqual(["late@alpha.test"]);
    expect(emails(await search(alphaUser, { from: "2026-03-09", to: "2026-03-09" }))).toEqual(["late@alpha.test"]);
    expect(emails(await search(alphaUser, { from: "2026-03-11" }))).toEqual([]);
  });

  it("walks keyset pages without repeating or skipping a row", async () => {
    const all = await search(alphaUser, {}, 100);
    expect(all.rows).toHaveLength(26);
    expect(all.nextBefore).toBeNull();
    for (const filters of [{}, { q: "alpha" }, { status: "sent" as const }, { taskId: alphaTask }] satisfies DeliveryLogFilters[]) {
      const expected = (await search(alphaUser, filters, 100)).rows.map((row) => row.id);
      const seen: number[] = [];
      let before: string | undefined;
      for (let turn = 0; turn < 20; turn++) {
        const page = await search(alphaUser, { ...filters, before }, 7);
        expect(page.rows.length).toBeLessThanOrEqual(7);
        seen.push(...page.rows.map((row) => row.id));
        if (page.nextBefore === null) break;
        before = page.nextBefore;
      }
      expect(seen).toEqual(expected);
    }
  });

  it("looks at a bounded window per page for a filter no index serves, and continues below it", async () => {
    const first = await search(alphaUser, { q: "ghost" }, 2, 5);
    // ghost is the 21st of 26 rows from the bottom: not within the newest five.
    expect(first.rows).toEqual([]);
    expect(first.windowed).toBe(true);
    expect(first.nextBefore).not.toBeNull();
    const found: string[] = [];
    let page = first;
    for (let turn = 0; turn < 10 && page.nextBefore !== null; turn++) {
      page = await search(alphaUser, { q: "ghost", before: page.nextBefore }, 2, 5);
      found.push(...emails(page));
    }
    expect(found).toEqual(["ghost@alpha.test"]);
    expect(page.nextBefore).toBeNull();
  });

  // A third department whose deliveries were answered over several days, in an order unlike their
  // ids: the newest ids were answered on the 12th, ties share the exact microsecond.
  const DAY_5 = new Date("2026-03-05T02:00:00.123456Z"); // 10:00 in Shanghai
  const DAY_12 = new Date("2026-03-12T02:00:00Z");
  let gammaSetup: Promise<{ gamma: SendingSetup; gammaUser: Actor; fifth: number[]; gammaIds: Map<string, number> }> | undefined;
  const gammaSeed = () =>
    (gammaSetup ??= (async () => {
      const gamma = await makeSendingSetup(db(), { count: 1 });
      const task = await makeTask(db(), gamma, "Gamma weekly");
      const old: Seed[] = Array.from({ length: 12 }, (_, i) => ({
        email: `old-${i}@gamma.test`,
        status: i % 4 === 0 ? "failed" : "sent",
        category: i % 4 === 0 ? "user_unknown" : undefined,
        // Three answers per instant: pages must split ties by id.
        sentAt: new Date(DAY_5.getTime() + Math.floor(i / 3) * 60_000),
      }));
      const gammaIds = await addDeliveries(db(), gamma, task, [
        ...old,
        { email: "sixth@gamma.test", status: "sent", sentAt: new Date("2026-03-06T02:00:00Z") },
        ...Array.from({ length: 30 }, (_, i): Seed => ({ email: `new-${i}@gamma.test`, status: "sent", sentAt: new Date(DAY_12.getTime() + i * 1_000) })),
        { email: "queued@gamma.test", status: "queued", sentAt: null },
      ]);
      // Microseconds a Date cannot carry: the cursor must keep them to split these ties.
      const fifthIds = old.map((seed) => gammaIds.get(seed.email)!);
      await db()
        .update(deliveries)
        .set({ sentAt: sql`${deliveries.sentAt} + interval '7 microseconds'` })
        .where(inArray(deliveries.id, fifthIds));
      const member = await makeUser(db(), "department", { departmentId: gamma.departmentId });
      const ordered = await db()
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(inArray(deliveries.id, fifthIds))
        .orderBy(sql`${deliveries.sentAt} desc, ${deliveries.id} desc`);
      return { gamma, gammaUser: actorFor(member, "department", gamma.departmentId), fifth: ordered.map((row) => row.id), gammaIds };
    })());

  it("finds older days directly, however many newer deliveries the window would have to pass", async () => {
    const { gammaUser, fifth, gammaIds } = await gammaSeed();
    // 31 newer deliveries (by id) than the 5th's; a window of 5 would never reach them walking ids.
    const page = await search(gammaUser, { from: "2026-03-05", to: "2026-03-05" }, 50, 5);
    expect(page.rows.map((row) => row.id)).toEqual(fifth);
    expect(page.windowed).toBe(false);
    expect(page.nextBefore).toBeNull();
    // Newest answered first, not newest id first.
    const week = await search(gammaUser, { from: "2026-03-05", to: "2026-03-11" }, 50, 5);
    expect(week.rows[0]!.id).toBe(gammaIds.get("sixth@gamma.test"));
    expect(week.rows).toHaveLength(13);
    // With filters no index serves, the window counts rows of that day, not of the whole log.
    const failed = await search(gammaUser, { from: "2026-03-05", to: "2026-03-05", status: "failed" }, 50, 12);
    expect(emails(failed).sort()).toEqual(["old-0@gamma.test", "old-4@gamma.test", "old-8@gamma.test"]);
    expect(failed.windowed).toBe(false);
    expect(emails(await search(gammaUser, { from: "2026-03-05", category: "user_unknown", q: "old-4" }, 50, 5))).toEqual(["old-4@gamma.test"]);
    expect(emails(await search(gammaUser, { to: "2026-03-05" }, 50, 5))).toHaveLength(12);
    expect((await search(gammaUser, { from: "2026-03-13" })).rows).toEqual([]);
  });

  it("pages a date range by answer time and id without repeating or skipping a row, ties included", async () => {
    const { gammaUser, fifth } = await gammaSeed();
    for (const [filters, window] of [
      [{ from: "2026-03-05", to: "2026-03-12" }, undefined],
      [{ from: "2026-03-05", to: "2026-03-05" }, undefined],
      [{ from: "2026-03-05", to: "2026-03-12", q: "old" }, 4],
      [{ from: "2026-03-01", status: "failed" as const }, 3],
    ] satisfies [DeliveryLogFilters, number | undefined][]) {
      const expected = (await search(gammaUser, filters, 100)).rows;
      expect(expected.length).toBeGreaterThan(0);
      const sorted = [...expected].sort((a, b) => b.sentAt!.getTime() - a.sentAt!.getTime() || b.id - a.id);
      expect(expected.map((row) => row.id)).toEqual(sorted.map((row) => row.id));
      const seen: number[] = [];
      let before: string | undefined;
      for (let turn = 0; turn < 60; turn++) {
        const page = await search(gammaUser, { ...filters, before }, 2, window);
        seen.push(...page.rows.map((row) => row.id));
        if (page.nextBefore === null) break;
        expect(page.nextBefore).toMatch(/^\d+_\d+$/);
        before = page.nextBefore;
      }
      expect(seen).toEqual(expected.map((row) => row.id));
    }
    // Pages of two split the three-way ties of the 5th.
    const first = await search(gammaUser, { from: "2026-03-05", to: "2026-03-05" }, 2);
    const second = await search(gammaUser, { from: "2026-03-05", to: "2026-03-05", before: first.nextBefore! }, 2);
    expect([...first.rows, ...second.rows].map((row) => row.id)).toEqual(fifth.slice(0, 4));
    // A cursor of the other kind is not one this page gave.
    await expect(search(gammaUser, { from: "2026-03-05", before: "12" })).rejects.toMatchObject({ code: "invalid_input" });
    await expect(search(gammaUser, { before: first.nextBefore! })).rejects.toMatchObject({ code: "invalid_input" });
    await expect(search(gammaUser, { before: "abc" })).rejects.toMatchObject({ code: "invalid_input" });
  });

  it("keeps date searches to the caller's departments, merged newest answered first", async () => {
    const { gamma, gammaUser } = await gammaSeed();
    const range = { from: "2026-03-01", to: "2026-03-31" };
    expect((await search(gammaUser, range, 100)).rows.every((row) => row.departmentId === gamma.departmentId)).toBe(true);
    expect(emails(await search(betaUser, range, 100)).sort()).toEqual(["reader-1@alpha.test", "someone@beta.test"]);
    expect((await search(betaUser, { ...range, q: "gamma" }, 100)).rows).toEqual([]);
    const both = { ...alphaManager, readable: [alpha.departmentId, gamma.departmentId] };
    const merged = await search(both, range, 100);
    expect(new Set(merged.rows.map((row) => row.departmentId))).toEqual(new Set([alpha.departmentId, gamma.departmentId]));
    expect(merged.rows).toHaveLength(25 + 43);
    const key = (row: { sentAt: Date | null; id: number }) => [row.sentAt!.getTime(), row.id] as const;
    for (let i = 1; i < merged.rows.length; i++) {
      const [a, b] = [key(merged.rows[i - 1]!), key(merged.rows[i]!)];
      expect(a[0] > b[0] || (a[0] === b[0] && a[1] > b[1])).toBe(true);
    }
    const paged: number[] = [];
    let before: string | undefined;
    for (let turn = 0; turn < 20; turn++) {
      const page = await search(both, { ...range, before }, 9);
      paged.push(...page.rows.map((row) => row.id));
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    expect(paged).toEqual(merged.rows.map((row) => row.id));
    // An admin's date search reads every department; a manager granted none reads nothing.
    const all = await search(admin, { from: "2026-03-05", to: "2026-03-05" }, 100);
    expect(all.rows.filter((row) => row.departmentId === gamma.departmentId)).toHaveLength(12);
    expect((await search({ ...alphaManager, readable: [] }, range)).rows).toEqual([]);
  });

  it("keeps each department to its own rows; another department's task gives no rows", async () => {
    const own = await search(alphaUser, {}, 100);
    expect(own.rows.every((row) => row.departmentId === alpha.departmentId)).toBe(true);
    expect(emails(await search(betaUser, {}, 100)).sort()).toEqual(["reader-1@alpha.test", "someone@beta.test"]);
    expect((await search(betaUser, { taskId: alphaTask })).rows).toEqual([]);
    expect((await search(betaUser, { q: "ghost@alpha.test" })).rows).toEqual([]);
    expect((await recentTasks(as(betaUser))).map((task) => task.id)).toEqual([betaTask]);
  });

  it("lets a manager read the departments granted, and nothing else", async () => {
    const both = { ...alphaManager, readable: [alpha.departmentId, beta.departmentId] };
    const merged = await search(both, {}, 100);
    expect(merged.rows).toHaveLength(28);
    expect(merged.rows.map((row) => row.id)).toEqual(merged.rows.map((row) => row.id).sort((x, y) => y - x));
    const halves = [await search(both, {}, 14)];
    halves.push(await search(both, { before: halves[0]!.nextBefore! }, 14));
    expect(halves.flatMap((half) => half.rows.map((row) => row.id))).toEqual(merged.rows.map((row) => row.id));
    expect(halves[1]!.nextBefore).toBeNull();
    const page = await search(alphaManager, {}, 100);
    expect(page.rows).toHaveLength(26);
    expect(page.rows.every((row) => row.departmentId === alpha.departmentId)).toBe(true);
    expect((await search(alphaManager, { taskId: betaTask })).rows).toEqual([]);
    expect((await deliveryTrail(as(alphaManager), ids.get("ghost@alpha.test")!)).delivery.email).toBe("ghost@alpha.test");
    const error = await rejection(deliveryTrail(as(alphaManager), betaIds.get("someone@beta.test")!), AppError);
    expect(error.code).toBe("not_found");
  });

  it("shows one delivery's trail in time order: queued, retried reply, the send's answer, then feedback", async () => {
    const trail = await deliveryTrail(as(alphaUser), ids.get("ghost@alpha.test")!);
    expect(trail.delivery).toMatchObject({
      email: "ghost@alpha.test",
      taskName: "Spring newsletter",
      department: expect.any(String),
      sender: { address: expect.stringMatching(/^news@/), name: "News desk" },
    });
    expect(trail.timeline.map((entry) => (entry.kind === "event" ? entry.type : entry.kind))).toEqual(["queued", "retry", "answer", "opened", "clicked"]);
    const [queued, retry, answer, opened, clicked] = trail.timeline;
    expect(queued).toMatchObject({ kind: "queued", at: new Date("2026-03-09T10:00:00Z") });
    expect(retry).toMatchObject({ kind: "event", source: "smtp", machine: false, detail: [["reply", "451 4.3.0 try later"], ["code", "451"]] });
    expect(answer).toMatchObject({ kind: "answer", status: "failed", category: "user_unknown", code: 550, enhancedStatus: "5.1.1", reply: "5.1.1 no such user", providerId: "prov-1", messageId: "<t.1@alpha.test>", attempts: 2 });
    expect(answer!.at).toEqual(new Date(MIDNIGHT.getTime() + 60_000));
    expect(opened).toMatchObject({ kind: "event", source: "tracking", machine: true, detail: [["userAgent", "GoogleImageProxy"], ["ip", "66.249.0.1"]] });
    expect(clicked).toMatchObject({ detail: [["url", "https://example.com/offer"]] });

    const waiting = await deliveryTrail(as(alphaUser), ids.get("waiting@alpha.test")!);
    expect(waiting.timeline.map((entry) => entry.kind)).toEqual(["queued", "answer"]);
    expect(waiting.timeline[1]).toMatchObject({ status: "queued", at: null });
  });

  it("answers another department's delivery exactly like a missing one", async () => {
    const other = await rejection(deliveryTrail(as(betaUser), ids.get("ghost@alpha.test")!), AppError);
    const missing = await rejection(deliveryTrail(as(betaUser), 9_999_999_999), AppError);
    expect([other.code, other.message]).toEqual([missing.code, missing.message]);
    expect(other.code).toBe("not_found");
    expect((await rejection(deliveryTrail(as(betaUser), -1), AppError)).code).toBe("not_found");
  });

  it("exports the filtered log as CSV, bounded, and audits the export", async () => {
    const lines: string[] = [];
    for await (const chunk of await exportDeliveries(as(alphaUser), { status: "failed" }, { timeZone: ZONE })) lines.push(chunk);
    const text = lines.join("");
    const rows = text.trim().split("\r\n");
    expect(rows[0]).toMatch(/^sent_at \(Asia\/Shanghai\),email,task,department,status,category/);
    expect(rows).toHaveLength(4);
    expect(text).toContain("ghost@alpha.test,Spring newsletter");
    expect(text).toContain("2026-03-10 00:01:00");
    const bounded: string[] = [];
    for await (const chunk of await exportDeliveries(as(alphaUser), {}, { timeZone: ZONE, max: 3 })) bounded.push(chunk);
    expect(bounded.join("").trim().split("\r\n")).toHaveLength(4);
    const audited = await db().select().from(auditLog).where(eq(auditLog.action, "delivery.export"));
    expect(audited.filter((row) => row.departmentId === alpha.departmentId)).toHaveLength(2);
  });

  it("shows a department user without a department nothing", async () => {
    expect((await search({ ...alphaUser, departmentId: null, readable: [] }, {})).rows).toEqual([]);
  });

  it("serves the log page, the trail page and the CSV download to a signed-in user of the department", async () => {
    const token = await serveAs(alphaMember);
    const list = renderToStaticMarkup(await DeliveryLogPage({ searchParams: Promise.resolve({ status: "failed", q: "alpha" }) }));
    expect(list).toContain('data-testid="log-tab-deliveries"');
    expect(list).toContain(`href="/logs/deliveries/${ids.get("ghost@alpha.test")}"`);
    expect(list).not.toContain("reader-3@alpha.test");
    expect(list).toContain("/logs/deliveries/export?q=alpha&amp;status=failed");
    // A page of a date range continues from its (sent_at, id) cursor, read back from the URL.
    const range = { from: "2026-03-01", to: "2026-03-31" };
    const firstTen = await search(alphaUser, range, 10);
    const rest = (await search(alphaUser, range, 100)).rows.slice(10);
    expect(deliveryLogFilters((name) => (name === "before" ? firstTen.nextBefore : undefined)).before).toBe(firstTen.nextBefore);
    expect(deliveryLogFilters((name) => (name === "before" ? "12_x" : undefined)).before).toBeUndefined();
    const older = renderToStaticMarkup(await DeliveryLogPage({ searchParams: Promise.resolve({ ...range, before: firstTen.nextBefore! }) }));
    expect(older).toContain(`delivery-log-row-${rest[0]!.id}"`);
    expect(older).not.toContain(`delivery-log-row-${firstTen.rows[9]!.id}"`);
    expect(rest.every((row) => older.includes(`delivery-log-row-${row.id}"`))).toBe(true);
    const trail = renderToStaticMarkup(await DeliveryTrailPage({ params: Promise.resolve({ id: String(ids.get("ghost@alpha.test")) }) }));
    expect(trail).toContain("451 4.3.0 try later");
    expect(trail).toContain('data-testid="trail-machine"');
    expect(trail).toContain("https://example.com/offer");
    await expect(DeliveryTrailPage({ params: Promise.resolve({ id: String(betaIds.get("someone@beta.test")) }) })).rejects.toThrow(/NEXT_HTTP_ERROR_FALLBACK;404/);

    const response = await exportRoute(new Request("http://fanout.test/logs/deliveries/export?category=user_unknown&before=1", { headers: { cookie: `${sessionCookieName()}=${token}` } }), { params: Promise.resolve({}) });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = new TextDecoder().decode(bytes.slice(3)).trim().split("\r\n");
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain("ghost@alpha.test");
    const anonymous = await exportRoute(new Request("http://fanout.test/logs/deliveries/export"), { params: Promise.resolve({}) });
    expect(anonymous.status).toBe(401);
  });
});
