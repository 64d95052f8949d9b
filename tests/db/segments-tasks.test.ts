import { and, eq, sql } from "drizzle-orm";
import { beforeAll, expect, it, vi } from "vitest";
import { queryRows } from "@/db/client";
import { auditLog, deliveries } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { createApiKey } from "@/lib/accounts/api-keys";
import type { Ctx } from "@/lib/access/context";
import { createSegment, deleteSegment, listSegments, updateSegment } from "@/lib/audiences/segments/store";
import { AppError } from "@/lib/errors";
import { addSuppressions } from "@/lib/pools/suppression";
import { materializeStep, startTask } from "@/lib/sending/materialize";
import { audienceSize, taskDetail } from "@/lib/sending/task-pages";
import { createTask } from "@/lib/sending/tasks";
import { POST as createTaskRoute } from "@/app/api/v1/tasks/route";
import { GET as listSegmentsRoute, POST as createSegmentRoute } from "@/app/api/v1/segments/route";
import { POST as countRoute } from "@/app/api/v1/segments/count/route";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeUser, unique } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { seedSegmentDepartment, type Seeded } from "../helpers/segments-seed";
import { testSendingConfig } from "../helpers/sending";

vi.mock("next/headers", () => import("../helpers/next-headers"));

/*
 * A task that targets segments: the segment is evaluated when the task is materialised, unioned
 * with the pools, one delivery per contact, suppressions, status and the limit as for pools.
 * People and their answers: tests/helpers/segments-seed.ts.
 */

const SHANGHAI = { match: "all", conditions: [{ field: "attribute", key: "city", op: "equals", value: "上海" }] };

describeOnDatabases("tasks that target segments", (db) => {
  let a: Seeded;
  let b: Seeded;
  let ctx: Ctx;
  let vipSegment: string;
  let shanghaiSegment: string;

  beforeAll(async () => {
    a = await seedSegmentDepartment(db());
    b = await seedSegmentDepartment(db(), { other: true });
    const user = await makeUser(db(), "department", { departmentId: a.departmentId });
    ctx = { db: db(), actor: actorFor(user, "department", a.departmentId) };
    shanghaiSegment = (await createSegment(ctx, { name: "上海客户", rule: SHANGHAI })).id;
    vipSegment = (await createSegment(ctx, { name: "VIP", description: "tagged vip", rule: { match: "all", conditions: [{ field: "tag", op: "has", value: a.tags.vip }] } })).id;
    // hal is on the suppression list; dan (unsubscribed) and jon (complained) no longer receive mail; ivy is pending.
    await addSuppressions(ctx, { departmentId: a.departmentId, addresses: "hal@seg.test", reason: "manual" });
  });

  async function materialise(taskId: string) {
    expect(await startTask(db(), taskId)).toBe(true);
    while (!(await materializeStep(db(), taskId, testSendingConfig({ materializeStep: 3 }))).done);
    const rows = await db().select({ email: deliveries.email, status: deliveries.status }).from(deliveries).where(eq(deliveries.taskId, taskId)).orderBy(deliveries.contactId);
    return rows.map((row) => `${row.email.replace("@seg.test", "")}:${row.status}`);
  }

  it("sends to a pool and two segments once each, leaving out the pending and marking the suppressed", async () => {
    // P2: cai dan eve hal jon lee; 上海: ann cai ivy; vip: ann bob eve jon.
    const input = { name: unique("segments"), templateId: a.setup.templateId, senderId: a.setup.senderId, poolIds: [a.pools.P2], segmentIds: [shanghaiSegment, vipSegment], scheduledAt: new Date(Date.now() - 1000) };
    expect(await audienceSize(ctx, { poolIds: [a.pools.P2], segmentIds: [shanghaiSegment, vipSegment] })).toEqual({ sendable: 5, suppressed: 3 });
    const task = await createTask(ctx, input);
    expect(task.reserved).toBe(5);
    expect(task.segmentIds).toEqual([shanghaiSegment, vipSegment]);
    expect(await materialise(task.id)).toEqual(["ann:queued", "bob:queued", "cai:queued", "dan:suppressed", "eve:queued", "hal:suppressed", "jon:suppressed", "lee:queued"]);
    const detail = await taskDetail(ctx, task.id);
    // What each segment held when the task started (ivy is pending but in the segment), shown on the task's page.
    expect(detail.segments).toEqual([
      { id: shanghaiSegment, name: "上海客户", countAtMaterialisation: 3 },
      { id: vipSegment, name: "VIP", countAtMaterialisation: 4 },
    ]);
    expect(detail.task).toMatchObject({ total: 8, queued: 5, suppressed: 3 });
  });

  it("evaluates the segment when the task starts, not when it was created, and honours the limit", async () => {
    const segment = await createSegment(ctx, { name: unique("later"), rule: { match: "all", conditions: [{ field: "name", op: "equals", value: "Lee" }] } });
    const task = await createTask(ctx, { name: unique("later"), templateId: a.setup.templateId, senderId: a.setup.senderId, poolIds: [], segmentIds: [segment.id], scheduledAt: new Date(Date.now() - 1000) });
    await updateSegment(ctx, segment.id, { rule: { match: "any", conditions: [{ field: "status", op: "is", value: "active" }] } });
    // active: ann bob cai eve gus hal(suppressed) kim lee; the first two sendable by arrival.
    const limited = await createTask(ctx, { name: unique("limited"), templateId: a.setup.templateId, senderId: a.setup.senderId, poolIds: [], segmentIds: [segment.id], limit: 2, scheduledAt: new Date(Date.now() - 1000) });
    expect(await materialise(task.id)).toEqual(["ann:queued", "bob:queued", "cai:queued", "eve:queued", "gus:queued", "hal:suppressed", "kim:queued", "lee:queued"]);
    expect(await materialise(limited.id)).toEqual(["ann:queued", "bob:queued"]);
  });

  it("refuses another department's segment, no audience at all, and deleting a segment a waiting task targets", async () => {
    const theirs = await createSegment({ db: db(), actor: systemActor("test") }, { name: "theirs", rule: SHANGHAI, departmentId: b.departmentId });
    const base = { name: unique("refused"), templateId: a.setup.templateId, senderId: a.setup.senderId };
    const foreign = await rejection(createTask(ctx, { ...base, poolIds: [], segmentIds: [theirs.id] }), AppError);
    expect({ reason: foreign.reason, field: foreign.field }).toEqual({ reason: "segmentMissing", field: "segmentIds" });
    expect((await rejection(createTask(ctx, { ...base, poolIds: [], segmentIds: [] }), AppError)).reason).toBe("noPoolChosen");
    const waiting = await createTask(ctx, { ...base, poolIds: [], segmentIds: [vipSegment], scheduledAt: new Date(Date.now() + 86_400_000) });
    const inUse = await rejection(deleteSegment(ctx, vipSegment), AppError);
    expect(inUse.reason).toBe("segmentInUse");
    expect(inUse.params.tasks).toContain(waiting.name);
    expect((await rejection(updateSegment(ctx, theirs.id, { name: "mine now" }), AppError)).code).toBe("forbidden");
    expect((await listSegments(ctx)).map((segment) => segment.departmentId)).not.toContain(b.departmentId);
  });

  it("audits segment changes and refuses a second segment of the same name in the department", async () => {
    const segment = await createSegment(ctx, { name: unique("audited"), rule: SHANGHAI });
    await updateSegment(ctx, segment.id, { name: `${segment.name} renamed` });
    await deleteSegment(ctx, segment.id);
    const rows = await db().select({ action: auditLog.action, summary: auditLog.summary }).from(auditLog).where(and(eq(auditLog.objectType, "segment"), eq(auditLog.objectId, segment.id))).orderBy(auditLog.id);
    expect(rows.map((row) => row.action)).toEqual(["segment.create", "segment.update", "segment.delete"]);
    expect(rows[0]!.summary).toContain("(3 contacts now)");
    expect((await rejection(createSegment(ctx, { name: "上海客户", rule: SHANGHAI }), AppError)).reason).toBe("segmentNameTaken");
    expect((await rejection(createSegment(ctx, { name: "bad", rule: { match: "all", conditions: [{ field: "attribute", key: "age", op: "gt", value: "x" }] } }), AppError)).reason).toBe("segmentRuleInvalid");
  });

  it("through the API: create, count with a sample, list with counts, and a task with segmentIds", async () => {
    const key = (await createApiKey({ db: db(), actor: systemActor("test") }, { name: "crm", scope: { company: false, departmentId: a.departmentId } })).secret;
    const call = (handler: (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>, method: string, body?: unknown) =>
      handler(
        new Request("http://fanout.test/api/v1/x", { method, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-forwarded-for": "198.51.100.7" }, body: body === undefined ? undefined : JSON.stringify(body) }),
        { params: Promise.resolve({}) },
      );
    const counted = await call(countRoute, "POST", { rule: { match: "all", conditions: [{ field: "engagement", op: "did", event: "bounced" }] }, sample: 5 });
    expect(await counted.json()).toMatchObject({ count: 2, sample: [{ email: "cai@seg.test", name: "蔡明" }, { email: "dan@seg.test", status: "unsubscribed" }] });
    const created = await call(createSegmentRoute, "POST", { name: "Bounced", rule: { match: "all", conditions: [{ field: "engagement", op: "did", event: "bounced" }] } });
    expect(created.status).toBe(201);
    const segment = (await created.json()) as { id: string; count: number };
    expect(segment.count).toBe(2);
    const listed = (await (await call(listSegmentsRoute, "GET")).json()) as { name: string; count: number }[];
    expect(listed.find((row) => row.name === "Bounced")?.count).toBe(2);
    const refused = await call(createSegmentRoute, "POST", { name: "x", rule: { match: "all", conditions: [{ field: "attribute", key: "k", op: "in", value: "not a list" }] } });
    expect(refused.status).toBe(400);
    const task = await call(createTaskRoute, "POST", { name: unique("api"), templateId: a.setup.templateId, senderId: a.setup.senderId, poolIds: [], segmentIds: [segment.id] });
    expect(task.status).toBe(201);
    expect(await task.json()).toMatchObject({ segmentIds: [segment.id], segmentCounts: null, reserved: 1 }) // cai; dan is unsubscribed;
  });

  it("keeps the department's contacts where they were: nothing of department b was sent or counted", async () => {
    const [row] = await queryRows<{ count: string | number }>(db(), sql`select count(*) as count from deliveries where department_id = ${b.departmentId}`);
    expect(Number(row!.count)).toBe(3);
  });
});
