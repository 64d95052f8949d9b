import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { POST as createTaskRoute } from "@/app/api/v1/tasks/route";
import { GET as getTaskRoute } from "@/app/api/v1/tasks/[id]/route";
import { POST as pauseRoute } from "@/app/api/v1/tasks/[id]/pause/route";
import { POST as resumeRoute } from "@/app/api/v1/tasks/[id]/resume/route";
import { POST as cancelRoute } from "@/app/api/v1/tasks/[id]/cancel/route";
import { GET as deliveriesRoute } from "@/app/api/v1/tasks/[id]/deliveries/route";
import { departments } from "@/db/schema";
import { addContacts } from "@/lib/pools/contacts";
import { createPool, deletePool } from "@/lib/pools/pools";
import { deleteSender } from "@/lib/senders/senders";
import { AppError } from "@/lib/errors";
import { systemActor } from "@/lib/access/actor";
import { createApiKey } from "@/lib/accounts/api-keys";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask, getTask } from "@/lib/sending/tasks";
import { createSmtpTransport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { makeSendingSetup, taskInput, testSendingConfig, type SendingSetup } from "../helpers/sending";
import { rejection } from "../helpers/rejection";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

function request(key: string, method: string, path: string, body?: unknown) {
  return new Request(`http://fanout.test/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-forwarded-for": "198.51.100.7" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
const params = (id: string) => ({ params: Promise.resolve({ id }) });
const noParams = { params: Promise.resolve({}) };

describeOnDatabases("task API", (db) => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink?.close();
  });
  const runner = () => new LocalRunner(db(), { transport: createSmtpTransport({ url: sink.url }), config: testSendingConfig(), log: () => undefined });

  async function departmentKey(departmentId: string) {
    return (await createApiKey({ db: db(), actor: systemActor("test") }, { name: "crm", scope: { company: false, departmentId } })).secret;
  }

  it("creates a task, reports the documented counters, pages the delivery log and pauses, resumes and cancels", async () => {
    const setup = await makeSendingSetup(db(), { emails: ["a@api.test", "b@api.test", "unknown@api.test"], quota: 50 });
    const key = await departmentKey(setup.departmentId);
    const created = await createTaskRoute(request(key, "POST", "/tasks", { name: "API task", templateId: setup.templateId, poolIds: [setup.poolId], senderId: setup.senderId, fromName: "Acme 新闻" }), noParams);
    expect(created.status).toBe(201);
    const { id, status } = (await created.json()) as { id: string; status: string };
    expect(status).toBe("scheduled");

    const engine = runner();
    await engine.drain();
    await engine.stop();

    const answer = (await (await getTaskRoute(request(key, "GET", `/tasks/${id}`), params(id))).json()) as Json;
    expect(answer).toMatchObject({ id, status: "completed", total: 3, queued: 0, sent: 2, delivered: 0, failed: 1, suppressed: 0, opened: 0, clicked: 0, unsubscribed: 0 });
    expect(typeof answer.startedAt).toBe("string");
    expect(typeof answer.finishedAt).toBe("string");
    const received = sink.messages.find((message) => message.envelope.rcptTo[0] === "a@api.test")!;
    expect((await received.parse()).from?.value[0]).toMatchObject({ name: "Acme 新闻", address: expect.stringMatching(/^news@/) });

    const firstPage = (await (await deliveriesRoute(request(key, "GET", `/tasks/${id}/deliveries?limit=2`), params(id))).json()) as { deliveries: Json[]; nextCursor: string };
    // Newest first, like the delivery log under Logs: the same listing serves both.
    expect(firstPage.deliveries.map((row) => row.email)).toEqual(["unknown@api.test", "b@api.test"]);
    expect(firstPage.deliveries[0]).toMatchObject({ status: "failed", category: "user_unknown", error: expect.stringContaining("5.1.1") });
    const secondPage = (await (await deliveriesRoute(request(key, "GET", `/tasks/${id}/deliveries?limit=2&cursor=${firstPage.nextCursor}`), params(id))).json()) as { deliveries: Json[]; nextCursor: null };
    expect(secondPage).toEqual({ deliveries: [expect.objectContaining({ email: "a@api.test", status: "sent", sentAt: expect.any(String) })], nextCursor: null });
    const failedOnly = (await (await deliveriesRoute(request(key, "GET", `/tasks/${id}/deliveries?status=failed`), params(id))).json()) as { deliveries: Json[] };
    expect(failedOnly.deliveries.map((row) => row.email)).toEqual(["unknown@api.test"]);
    const badStatus = await deliveriesRoute(request(key, "GET", `/tasks/${id}/deliveries?status=lost`), params(id));
    expect(badStatus.status).toBe(400);

    // A completed task can no longer be paused or cancelled.
    expect((await pauseRoute(request(key, "POST", `/tasks/${id}/pause`), params(id))).status).toBe(409);

    const later = (await (
      await createTaskRoute(request(key, "POST", "/tasks", { name: "Later", templateId: setup.templateId, poolIds: "all", senderId: setup.senderId, scheduledAt: "2099-01-01T09:00:00+08:00" }), noParams)
    ).json()) as { id: string };
    expect((await (await pauseRoute(request(key, "POST", `/tasks/${later.id}/pause`), params(later.id))).json()) as Json).toMatchObject({ status: "paused" });
    expect((await (await resumeRoute(request(key, "POST", `/tasks/${later.id}/resume`), params(later.id))).json()) as Json).toMatchObject({ status: "scheduled", scheduledAt: "2099-01-01T01:00:00.000Z" });
    const [heldBefore] = await db().select().from(departments).where(eq(departments.id, setup.departmentId));
    expect(heldBefore!.quotaReserved).toBe(2); // "unknown@" is suppressed now, so the estimate is the two others
    expect((await (await cancelRoute(request(key, "POST", `/tasks/${later.id}/cancel`), params(later.id))).json()) as Json).toMatchObject({ status: "cancelled" });
    const [heldAfter] = await db().select().from(departments).where(eq(departments.id, setup.departmentId));
    expect(heldAfter!.quotaReserved).toBe(0);
  });

  it("refuses bad input with the field, other departments' objects, and a task beyond the quota with what is left", async () => {
    const setup = await makeSendingSetup(db(), { count: 30, quota: 20 });
    const other = await makeSendingSetup(db(), { count: 2 });
    const key = await departmentKey(setup.departmentId);
    const post = (body: unknown) => createTaskRoute(request(key, "POST", "/tasks", body), noParams);

    const noPools = await post({ name: "x", templateId: setup.templateId, poolIds: [], senderId: setup.senderId });
    expect(noPools.status).toBe(400);
    const badTime = await post({ name: "x", templateId: setup.templateId, poolIds: "all", senderId: setup.senderId, scheduledAt: "tomorrow" });
    expect(badTime.status).toBe(400);
    expect(((await badTime.json()) as Json).error!.message).toContain("scheduledAt");
    const foreignPool = await post({ name: "x", templateId: setup.templateId, poolIds: [other.poolId], senderId: setup.senderId });
    expect(foreignPool.status).toBe(400);
    expect(((await foreignPool.json()) as Json).error!.message).toContain("not found in this department");
    const foreignTemplate = await post({ name: "x", templateId: other.templateId, poolIds: "all", senderId: setup.senderId });
    expect([403, 400]).toContain(foreignTemplate.status);
    const foreignDepartment = await post({ ...taskInput(other), departmentId: other.departmentId });
    expect(foreignDepartment.status).toBe(403);

    const tooMany = await post({ name: "Too many", templateId: setup.templateId, poolIds: [setup.poolId], senderId: setup.senderId });
    expect(tooMany.status).toBe(409);
    const refusal = ((await tooMany.json()) as Json).error!;
    expect(refusal.code).toBe("quota_exceeded");
    expect(refusal.message).toMatch(/has 20 sends left of its quota; this needs 30/);
    const fits = await post({ name: "Twenty", templateId: setup.templateId, poolIds: [setup.poolId], senderId: setup.senderId, limit: 20 });
    expect(fits.status).toBe(201);
    // What a waiting task needs cannot be pulled from under it.
    expect((await rejection(deletePool(setup.ctx, setup.poolId), AppError)).message).toMatch(/is the audience of task\(s\) not yet started: "Twenty"/);
    expect((await rejection(deleteSender(setup.ctx, setup.senderId), AppError)).code).toBe("conflict");

    const otherTask = await createTask(other.ctx, taskInput(other, { scheduledAt: new Date("2099-01-01T00:00:00Z") }));
    expect((await getTaskRoute(request(key, "GET", `/tasks/${otherTask.id}`), params(otherTask.id))).status).toBe(403);
    expect((await cancelRoute(request(key, "POST", `/tasks/${otherTask.id}/cancel`), params(otherTask.id))).status).toBe(403);
    expect((await getTask(other.ctx, otherTask.id)).status).toBe("scheduled");
  });

  it("never lets two tasks created or started at once spend more than a quota of 100", async () => {
    const setup = await makeSendingSetup(db(), { count: 70, quota: 100 });
    const secondPool = await addPool(setup, "second", 70);
    const key = await departmentKey(setup.departmentId);
    const create = (name: string, poolId: string, body: Record<string, unknown> = {}) =>
      createTaskRoute(request(key, "POST", "/tasks", { name, templateId: setup.templateId, poolIds: [poolId], senderId: setup.senderId, ...body }), noParams);

    // Created at once: each needs 70 of the 100, so exactly one is refused.
    const created = await Promise.all([create("A", setup.poolId), create("B", secondPool)]);
    expect(created.map((answer) => answer.status).sort()).toEqual([201, 409]);
    const winner = ((await created.find((answer) => answer.status === 201)!.json()) as { id: string }).id;
    await cancelRoute(request(key, "POST", `/tasks/${winner}/cancel`), params(winner));

    // Scheduled while the pools held 40 each (80 reserved), then both grew to 70 and both start at once:
    // the 60 extra recipients compete for the 20 sends left.
    const third = await addPool(setup, "third", 40);
    const fourth = await addPool(setup, "fourth", 40);
    const soon = new Date(Date.now() + 300).toISOString();
    const scheduled = await Promise.all([create("C", third, { scheduledAt: soon }), create("D", fourth, { scheduledAt: soon })]);
    expect(scheduled.map((answer) => answer.status)).toEqual([201, 201]);
    await addContactsTo(setup, third, "third-late", 30);
    await addContactsTo(setup, fourth, "fourth-late", 30);
    await new Promise((resolve) => setTimeout(resolve, 350));
    sink.reset();
    const engines = [runner(), runner()];
    await Promise.all(engines.map((engine) => engine.drain()));
    await Promise.all(engines.map((engine) => engine.stop()));

    const [row] = await db().select().from(departments).where(eq(departments.id, setup.departmentId));
    expect(row).toMatchObject({ quotaUsed: 100, quotaReserved: 0 });
    // (The runners also finish other suites' tasks in this database; count this department's recipients.)
    const ours = sink.messages.map((message) => message.envelope.rcptTo[0]!).filter((address) => address.includes(`.${setup.poolId.slice(0, 8)}@`));
    expect(ours.length).toBe(100);
    expect(new Set(ours).size).toBe(100);
    const tasks = await Promise.all(scheduled.map(async (answer) => getTask(setup.ctx, ((await answer.clone().json()) as { id: string }).id)));
    expect(tasks.map((task) => task.status)).toEqual(["completed", "completed"]);
    expect(tasks.reduce((sum, task) => sum + task.sent, 0)).toBe(100);
    expect(tasks.some((task) => task.note.includes("quota"))).toBe(true);
  });

  async function addPool(setup: SendingSetup, name: string, count: number) {
    const pool = await createPool(setup.ctx, { name: `${name}-${setup.poolId.slice(0, 8)}`, departmentId: setup.departmentId });
    await addContactsTo(setup, pool.id, name, count);
    return pool.id;
  }

  async function addContactsTo(setup: SendingSetup, poolId: string, prefix: string, count: number) {
    await addContacts(setup.ctx, poolId, Array.from({ length: count }, (_, index) => ({ email: `${prefix}-${index}.${setup.poolId.slice(0, 8)}@example.net` })));
  }
});
