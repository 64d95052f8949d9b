import { asc, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { deliveries, departments, tasks } from "@/db/schema";
import { addContacts } from "@/lib/pools/contacts";
import { addSuppressions } from "@/lib/pools/suppression";
import { materializeStep, startTask } from "@/lib/sending/materialize";
import { createTask } from "@/lib/sending/tasks";
import { describeOnDatabases } from "../helpers/db";
import { makeSendingSetup, taskInput, testSendingConfig, type SendingSetup } from "../helpers/sending";

/*
 * A mail task's materialisation, written by Postgres from contacts into deliveries step by step:
 * which rows each step writes, their batches across steps, where the limit and the quota cut the
 * audience, and what the task's counters and the department's quota say afterwards.
 */

const emailsOf = (count: number, tag: string) => Array.from({ length: count }, (_, index) => `m${String(index).padStart(2, "0")}.${tag}@example.net`);

describeOnDatabases("materialising a mail task", (db) => {
  async function rowsOf(taskId: string) {
    const rows = await db()
      .select({ email: deliveries.email, status: deliveries.status, batchNo: deliveries.batchNo })
      .from(deliveries)
      .where(eq(deliveries.taskId, taskId))
      .orderBy(asc(deliveries.contactId));
    return rows.map((row) => `${row.email.slice(0, 3)}:${row.status === "queued" ? `b${row.batchNo}` : row.status}`);
  }

  async function materialise(taskId: string, step: number) {
    expect(await startTask(db(), taskId)).toBe(true);
    const steps = [];
    for (;;) {
      const one = await materializeStep(db(), taskId, testSendingConfig({ materializeStep: step, batchSize: 3 }));
      steps.push(one);
      if (one.done) return steps;
    }
  }

  async function suppress(setup: SendingSetup, ...indexes: number[]) {
    await addSuppressions(setup.ctx, { departmentId: setup.departmentId, addresses: indexes.map((index) => setup.emails[index]).join("\n"), reason: "manual" });
  }

  it("numbers the queued rows into batches across steps, keeps suppressed ones out of them, and stops at the limit", async () => {
    const setup = await makeSendingSetup(db(), { emails: emailsOf(12, "limit") });
    await suppress(setup, 2, 6);
    const task = await createTask(setup.ctx, taskInput(setup, { limit: 6 }));
    const steps = await materialise(task.id, 4);
    // The 7th sendable (m08) ends the audience, at the start of the third step.
    expect(await rowsOf(task.id)).toEqual(["m00:b0", "m01:b0", "m02:suppressed", "m03:b0", "m04:b1", "m05:b1", "m06:suppressed", "m07:b1"]);
    expect(steps).toEqual([
      { done: false, added: 3, suppressed: 1 },
      { done: false, added: 3, suppressed: 1 },
      { done: true, added: 0, suppressed: 0 },
    ]);
    const [row] = await db().select().from(tasks).where(eq(tasks.id, task.id));
    expect(row).toMatchObject({ total: 8, queued: 6, suppressed: 2, reserved: 6, materializeCursor: null });
  });

  it("leaves out, with a note, the recipients who joined after the task was created and no longer fit the quota", async () => {
    const setup = await makeSendingSetup(db(), { emails: emailsOf(5, "quota"), quota: 8 });
    const task = await createTask(setup.ctx, taskInput(setup));
    expect(task.reserved).toBe(5);
    // Six more join the pool before the start; two of them are suppressed. The quota has 3 left.
    const late = emailsOf(11, "quota").slice(5);
    await addContacts(setup.ctx, setup.poolId, late.map((email) => ({ email })));
    await addSuppressions(setup.ctx, { departmentId: setup.departmentId, addresses: [late[1], late[4]].join("\n"), reason: "manual" });

    await materialise(task.id, 4);
    // Eight fit (m00–m05, m07, m08); m09, suppressed before the first that does not fit, keeps its row; m10 is left out.
    expect(await rowsOf(task.id)).toEqual(["m00:b0", "m01:b0", "m02:b0", "m03:b1", "m04:b1", "m05:b1", "m06:suppressed", "m07:b2", "m08:b2", "m09:suppressed"]);
    const [row] = await db().select().from(tasks).where(eq(tasks.id, task.id));
    expect(row).toMatchObject({ total: 10, queued: 8, suppressed: 2, reserved: 8, materializeCursor: null });
    expect(row!.note).toBe("Recipients beyond the quota were left out (quota ran out after 8 recipients).");
    const [department] = await db().select().from(departments).where(eq(departments.id, setup.departmentId));
    expect(department).toMatchObject({ quotaReserved: 8, quotaUsed: 0 });
  });
});
