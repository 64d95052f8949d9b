/**
 * Managers read tasks (issue 13): the task list of the departments they may read, each such task's
 * page and report; another department's task page is refused as every entry point refuses (forbidden,
 * 403), and creating, editing or cancelling a task is refused by the server, not only hidden.
 */
import path from "node:path";
import { eq } from "drizzle-orm";
import { beforeAll, expect, it, vi } from "vitest";
import { tasks, users } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { can } from "@/lib/access/policy";
import { sessionCookieName } from "@/lib/auth/session";
import { AppError } from "@/lib/errors";
import { taskReport } from "@/lib/reports/queries";
import { loadTaskProgress, taskDetail } from "@/lib/sending/task-pages";
import { cancelTask, createTask } from "@/lib/sending/tasks";
import { listTasks } from "@/lib/sending/task-pages";
import { navigationFor } from "@/components/shell/navigation";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeUser } from "../helpers/factories";
import { serveAs } from "../helpers/next-headers";
import { makeSendingSetup, taskInput, type SendingSetup } from "../helpers/sending";
import { snapshotState } from "../helpers/snapshot";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const ROOT = path.resolve(__dirname, "../..");
const TASK_ACTIONS = path.join(ROOT, "app/(console)/tasks/actions.ts");
const PROGRESS_ROUTE = path.join(ROOT, "app/(console)/tasks/[id]/progress/route.ts");
const later = new Date("2099-01-01T00:00:00Z");

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

type ActionResult = { ok: boolean; error?: { code: string } };

describeOnDatabases("a manager's task list", (db) => {
  let readable: SendingSetup;
  let other: SendingSetup;
  let readableTaskId: string;
  let otherTaskId: string;
  let manager: { id: string; email: string };
  let ctx: Ctx;

  beforeAll(async () => {
    readable = await makeSendingSetup(db(), { count: 3 });
    other = await makeSendingSetup(db(), { count: 3 });
    readableTaskId = (await createTask(readable.ctx, taskInput(readable, { name: "readable task", scheduledAt: later }))).id;
    otherTaskId = (await createTask(other.ctx, taskInput(other, { name: "other task", scheduledAt: later }))).id;
    manager = await makeUser(db(), "manager", { managed: [readable.departmentId] });
    ctx = { db: db(), actor: actorFor(manager, "manager", null, [readable.departmentId]) };
  });

  async function signIn() {
    const [row] = await db().select({ sv: users.sessionVersion }).from(users).where(eq(users.id, manager.id));
    return serveAs({ id: manager.id, sessionVersion: row!.sv }, "198.51.100.21");
  }

  it("shows managers the Tasks section, to read and not to manage", () => {
    expect(can("manager", "tasks.view")).toBe(true);
    expect(can("manager", "tasks.manage")).toBe(false);
    expect(navigationFor("manager").flatMap((group) => group.items.map((item) => item.href))).toContain("/tasks");
  });

  it("lists the tasks of readable departments only", async () => {
    const result = await listTasks(ctx);
    expect(result.tasks.map((task) => task.name)).toEqual(["readable task"]);
    expect(result.total).toBe(1);
    const nobody = await listTasks({ db: db(), actor: actorFor(manager, "manager", null, []) });
    expect(nobody.tasks).toEqual([]);
  });

  it("opens a readable department's task page and its report", async () => {
    const detail = await taskDetail(ctx, readableTaskId);
    expect(detail.task.name).toBe("readable task");
    expect(detail.progress.status).toBe("scheduled");
    expect((await loadTaskProgress(ctx, readableTaskId)).id).toBe(readableTaskId);
    const report = await taskReport(ctx, readableTaskId);
    expect(report.task.name).toBe("readable task");
  });

  it("refuses another department's task as the other entry points do: forbidden, 403", async () => {
    expect(await codeOf(taskDetail(ctx, otherTaskId))).toBe("forbidden");
    // The report hides another department's task altogether (404), as tests/db/reports.test.ts pins for every reader.
    expect(await codeOf(taskReport(ctx, otherTaskId))).toBe("not_found");
    expect(await codeOf(loadTaskProgress(ctx, otherTaskId))).toBe("forbidden");
    const cookie = `${sessionCookieName()}=${await signIn()}`;
    const { GET } = (await import(/* @vite-ignore */ PROGRESS_ROUTE)) as { GET: (request: Request, context: { params: Promise<{ id: string }> }) => Promise<Response> };
    const progress = (id: string) =>
      GET(new Request("http://fanout.test/x", { headers: { cookie, "x-fanout-peer": "198.51.100.21", "sec-fetch-site": "same-origin" } }), { params: Promise.resolve({ id }) });
    expect((await progress(readableTaskId)).status).toBe(200);
    expect((await progress(otherTaskId)).status).toBe(403);
  });

  it("refuses a manager creating, editing, pausing or cancelling a task, in the server, and changes nothing", async () => {
    await signIn();
    const actions = (await import(/* @vite-ignore */ TASK_ACTIONS)) as Record<string, (input: unknown) => Promise<ActionResult>>;
    const form = {
      departmentId: readable.departmentId,
      name: "made by a manager",
      templateId: readable.templateId,
      audience: "pools",
      poolIds: readable.poolId,
      senderId: readable.senderId,
      amount: "all",
      when: "later",
      scheduledAt: "2099-01-01T08:00",
    };
    const before = await snapshotState(db());
    expect(await actions.createTask!(form)).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(await actions.updateTask!({ ...form, id: readableTaskId })).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(await actions.pauseTask!({ id: readableTaskId })).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(await actions.cancelTask!({ id: readableTaskId })).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(await snapshotState(db())).toBe(before);
    // The domain functions refuse as well, whoever calls them.
    expect(await codeOf(createTask(ctx, taskInput(readable, { scheduledAt: later })))).toBe("forbidden");
    expect(await codeOf(cancelTask(ctx, readableTaskId))).toBe("forbidden");
    const [task] = await db().select({ status: tasks.status }).from(tasks).where(eq(tasks.id, readableTaskId));
    expect(task!.status).toBe("scheduled");
  });
});
