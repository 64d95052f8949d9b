import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { deliveries, tasks, type DeliveryStatus } from "@/db/schema";
import { systemActor, type Actor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import type { DeliveryLogFilters } from "@/lib/deliveries/listing";
import { searchDeliveries } from "@/lib/reports/delivery-log";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeUser } from "../helpers/factories";
import { makeSendingSetup, type SendingSetup } from "../helpers/sending";

const ZONE = "Asia/Shanghai";
const DAY_5 = new Date("2026-03-05T02:00:00.123456Z"); // 10:00 in Shanghai
const DAY_12 = new Date("2026-03-12T02:00:00Z");

async function makeTask(setup: SendingSetup, name: string) {
  const [task] = await setup.ctx.db
    .insert(tasks)
    .values({ departmentId: setup.departmentId, name, templateId: setup.templateId, templateVersion: 1, senderId: setup.senderId, status: "completed", scheduledAt: DAY_5 })
    .returning({ id: tasks.id });
  return task!.id;
}

type Seed = { email: string; status: DeliveryStatus; sentAt: Date | null };

async function addDeliveries(setup: SendingSetup, taskId: string, seeds: Seed[]) {
  await setup.ctx.db.insert(deliveries).values(
    seeds.map((seed) => ({ taskId, departmentId: setup.departmentId, email: seed.email, status: seed.status, category: seed.status === "failed" ? ("user_unknown" as const) : null, attempts: 1, sentAt: seed.sentAt })),
  );
}

describeOnDatabases("delivery log: dates beside a task", (db) => {
  let alpha: SendingSetup;
  let beta: SendingSetup;
  let weekly: string;
  let alphaUser: Actor;
  let betaUser: Actor;
  const admin = systemActor("test");
  const search = (actor: Actor, filters: DeliveryLogFilters, limit = 50, window?: number) => searchDeliveries({ db: db(), actor } as Ctx, filters, limit, { timeZone: ZONE, window });
  const emails = (page: { rows: { email: string }[] }) => page.rows.map((row) => row.email);

  beforeAll(async () => {
    [alpha, beta] = await Promise.all([makeSendingSetup(db(), { count: 0 }), makeSendingSetup(db(), { count: 0 })]);
    weekly = await makeTask(alpha, "Weekly");
    const launch = await makeTask(alpha, "Launch");
    // The task answered twelve on the 5th (three per instant), then thirty more with newer ids on the 12th.
    await addDeliveries(alpha, weekly, [
      ...Array.from({ length: 12 }, (_, i): Seed => ({ email: `old-${i}@alpha.test`, status: i % 4 === 0 ? "failed" : "sent", sentAt: new Date(DAY_5.getTime() + Math.floor(i / 3) * 60_000) })),
      ...Array.from({ length: 30 }, (_, i): Seed => ({ email: `new-${i}@alpha.test`, status: "sent", sentAt: new Date(DAY_12.getTime() + i * 1_000) })),
      { email: "queued@alpha.test", status: "queued", sentAt: null },
    ]);
    // Another task of the department answered on the same day.
    await addDeliveries(alpha, launch, Array.from({ length: 5 }, (_, i): Seed => ({ email: `launch-${i}@alpha.test`, status: "sent", sentAt: new Date(DAY_5.getTime() + i * 1_000) })));
    alphaUser = actorFor(await makeUser(db(), "department", { departmentId: alpha.departmentId }), "department", alpha.departmentId);
    betaUser = actorFor(await makeUser(db(), "department", { departmentId: beta.departmentId }), "department", beta.departmentId);
  });

  /** The task's deliveries answered on the 5th, newest answered first (ties by id), counted straight from the table. */
  const answeredOnThe5th = async (status?: DeliveryStatus) =>
    (
      await db()
        .select({ email: deliveries.email })
        .from(deliveries)
        .where(
          sql`${deliveries.taskId} = ${weekly} and ${deliveries.sentAt} >= '2026-03-04T16:00:00Z' and ${deliveries.sentAt} < '2026-03-05T16:00:00Z' ${status ? sql`and ${deliveries.status} = ${status}` : sql``}`,
        )
        .orderBy(sql`${deliveries.sentAt} desc, ${deliveries.id} desc`)
    ).map((row) => row.email);

  it("finds a task's deliveries of a past day directly, however many newer ones the task has", async () => {
    const expected = await answeredOnThe5th();
    expect(expected).toHaveLength(12);
    for (const actor of [alphaUser, admin]) {
      // Pages of 2 with a window of 3 rows: walking the task's newest ids, a page would look at
      // answers of the 12th only, and be cut short by the window page after page.
      const seen: string[] = [];
      const windowed: boolean[] = [];
      let before: string | undefined;
      for (let turn = 0; turn < 20; turn++) {
        const page = await search(actor, { taskId: weekly, from: "2026-03-05", to: "2026-03-05", before }, 2, 3);
        seen.push(...emails(page));
        windowed.push(page.windowed);
        if (page.nextBefore === null) break;
        before = page.nextBefore;
      }
      expect(seen).toEqual(expected);
      expect(windowed).toEqual(Array.from({ length: 6 }, () => false));
    }
    const failed = await search(alphaUser, { taskId: weekly, from: "2026-03-05", to: "2026-03-05", status: "failed" }, 3, 13);
    expect(emails(failed)).toEqual(await answeredOnThe5th("failed"));
    expect(failed.windowed).toBe(false);
    expect(emails(await search(alphaUser, { taskId: weekly, from: "2026-03-13" }))).toEqual([]);
    expect(await search(alphaUser, { taskId: weekly, to: "2026-03-05" }, 12, 13).then(emails)).toEqual(expected);
  });

  it("pages the task's days by answer time without repeating or skipping a row, ties included", async () => {
    const seen: string[] = [];
    let before: string | undefined;
    for (let turn = 0; turn < 20; turn++) {
      const page = await search(alphaUser, { taskId: weekly, from: "2026-03-01", to: "2026-03-31", before }, 5);
      seen.push(...emails(page));
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    const all = (
      await db()
        .select({ email: deliveries.email })
        .from(deliveries)
        .where(sql`${deliveries.taskId} = ${weekly} and ${deliveries.sentAt} is not null`)
        .orderBy(sql`${deliveries.sentAt} desc, ${deliveries.id} desc`)
    ).map((row) => row.email);
    expect(seen).toEqual(all);
    expect(seen).toHaveLength(42);
  });

  it("gives another department's user nothing for the task, with dates as without", async () => {
    expect((await search(betaUser, { taskId: weekly, from: "2026-03-05", to: "2026-03-05" })).rows).toEqual([]);
    expect((await search(betaUser, { taskId: weekly, from: "2026-03-01" })).rows).toEqual([]);
  });
});
