import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { deliveries, tasks } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { runBatch } from "@/lib/sending/batch";
import { materializeWithin, startTask } from "@/lib/sending/materialize";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask } from "@/lib/sending/tasks";
import { createSmtpTransport, type Transport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { rejection } from "../helpers/rejection";
import { makeSendingSetup, taskInput, testSendingConfig, type SendingSetup } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

vi.mock("next/headers", () => import("../helpers/next-headers"));

/*
 * Issue 18, Done-means 2: send-time optimisation. Contacts whose people opened and clicked at 09:00
 * or at 20:00 (in Asia/Shanghai, and in America/New_York across the night daylight saving begins)
 * receive the task's message in that hour of their day, on a fake clock; a contact without a history
 * gets the department's best hour, and an unknown zone is the company's (Asia/Shanghai here).
 */

const HOUR = 3_600_000;
/** The task starts at 2027-03-14 02:00 UTC: 21:00 on the 13th in New York (EST; at 02:00 local the clocks go to EDT), 10:00 on the 14th in Shanghai. */
const START = new Date("2027-03-14T02:00:00Z");

type Person = { email: string; zone?: string; history: string[]; expected: string };
/** Each one's first opens and clicks of earlier tasks (UTC instants of the local times said), and when the task should reach them. */
const PEOPLE: Person[] = [
  // Shanghai 09:05 / 09:40 / 15:00: best at 9, which has passed at the start (10:00): tomorrow 09:00 CST.
  { email: "sh-morning@sto.test", zone: "Asia/Shanghai", history: ["2026-11-02T01:05:00Z", "2026-07-01T01:40:00Z", "2026-07-01T07:00:00Z"], expected: "2027-03-15T01:00:00Z" },
  // Shanghai 20:10 / 20:30: today 20:00 CST.
  { email: "sh-evening@sto.test", zone: "Asia/Shanghai", history: ["2026-11-02T12:10:00Z", "2026-07-01T12:30:00Z"], expected: "2027-03-14T12:00:00Z" },
  // New York 09:05 EST in November, 09:20 EDT in July, one 15:00: best at 9; the 14th's 09:00 is EDT (13:00 UTC, not 14:00).
  { email: "ny-morning@sto.test", zone: "America/New_York", history: ["2026-11-02T14:05:00Z", "2026-07-01T13:20:00Z", "2026-07-01T19:00:00Z"], expected: "2027-03-14T13:00:00Z" },
  // New York 20:10 EST / 20:30 EDT: 20:00 has passed at 21:00 on the 13th, so the 14th's 20:00 EDT.
  { email: "ny-evening@sto.test", zone: "America/New_York", history: ["2026-11-03T01:10:00Z", "2026-07-02T00:30:00Z"], expected: "2027-03-15T00:00:00Z" },
  // A zone Postgres does not know: the company's (Shanghai), where the history is at 20:00.
  { email: "mars@sto.test", zone: "Mars/Olympus", history: ["2026-11-02T12:15:00Z", "2026-07-01T12:45:00Z"], expected: "2027-03-14T12:00:00Z" },
  // No history: the department's best hour, 20 (six engagements at 20:00 in their zones, four at 09:00, two at 15:00), in the company's zone: 20:00 Shanghai.
  { email: "new@sto.test", history: [], expected: "2027-03-14T12:00:00Z" },
];

describeOnDatabases("send-time optimisation", (db) => {
  let sink: SmtpSink;
  let transport: Transport;
  let setup: SendingSetup;

  beforeAll(async () => {
    sink = await startSmtpSink();
    transport = createSmtpTransport({ url: sink.url });
    setup = await makeSendingSetup(db(), { emails: PEOPLE.map((person) => person.email), quota: 100 });
    for (const person of PEOPLE.filter((one) => one.zone)) {
      await db().execute(sql`update contacts set attributes = attributes || jsonb_build_object('timezone', ${person.zone!}::text) where email = ${person.email} and department_id = ${setup.departmentId}`);
    }
    // Earlier tasks, sent for real; their deliveries then carry each person's first opens and clicks.
    const earlier: string[] = [];
    for (let index = 0; index < 3; index++) earlier.push((await createTask(setup.ctx, taskInput(setup, { name: `Earlier ${index}` }))).id);
    const engine = new LocalRunner(db(), { transport, config: testSendingConfig(), log: () => undefined });
    await engine.drain();
    await engine.stop();
    for (const person of PEOPLE) {
      for (const [index, at] of person.history.entries()) {
        await db()
          .update(deliveries)
          .set({ firstOpenAt: new Date(at), openCount: 1 })
          .where(and(eq(deliveries.taskId, earlier[index]!), eq(deliveries.email, person.email)));
      }
    }
  });
  afterAll(async () => {
    await transport.close();
    await sink.close();
  });

  it("plans each recipient's hour in their zone, across daylight saving, and delivers them then on a fake clock", async () => {
    const task = await createTask(setup.ctx, taskInput(setup, { name: "Best hour", scheduledAt: START, sendTimeOptimization: true }));
    expect(task).toMatchObject({ sendTimeOptimization: true, reserved: PEOPLE.length });
    expect(await startTask(db(), task.id, START)).toBe(true);
    expect((await materializeWithin(db(), task.id, testSendingConfig(), 0)).done).toBe(true);

    const rows = await db().select({ email: deliveries.email, at: deliveries.nextAttemptAt, batch: deliveries.batchNo }).from(deliveries).where(eq(deliveries.taskId, task.id));
    const planned = Object.fromEntries(rows.map((row) => [row.email, row.at.toISOString()]));
    expect(planned).toEqual(Object.fromEntries(PEOPLE.map((person) => [person.email, new Date(person.expected).toISOString()])));
    // Batches are planned per hour: rows of different hours never share a batch.
    const hoursOfBatch = new Map<number, Set<string>>();
    for (const row of rows) hoursOfBatch.set(row.batch, (hoursOfBatch.get(row.batch) ?? new Set()).add(row.at.toISOString()));
    expect([...hoursOfBatch.values()].every((hours) => hours.size === 1)).toBe(true);
    // The quota was held for everyone from the start, whatever hour they get.
    const [held] = await db().select({ reserved: tasks.reserved }).from(tasks).where(eq(tasks.id, task.id));
    expect(held!.reserved).toBe(PEOPLE.length);

    // The clock moves an hour at a time through the window; at each hour the engine sends what is due.
    const receivedAt = new Map<string, string>();
    for (let at = START.getTime(); at < START.getTime() + 24 * HOUR; at += HOUR) {
      const before = sink.messages.length;
      const deps = { db: db(), transport, config: testSendingConfig(), clock: () => new Date(at + 30 * 60_000) };
      while (!(await runBatch(deps, task.id)).idle);
      for (const message of sink.messages.slice(before)) for (const to of message.envelope.rcptTo) receivedAt.set(to, new Date(at).toISOString());
    }
    expect(Object.fromEntries(receivedAt)).toEqual(Object.fromEntries(PEOPLE.map((person) => [person.email, new Date(person.expected).toISOString()])));
    const [done] = await db().select({ status: tasks.status, sent: tasks.sent }).from(tasks).where(eq(tasks.id, task.id));
    expect(done).toEqual({ status: "completed", sent: PEOPLE.length });
  });

  it("is refused beside an A/B test, naming the field", async () => {
    expect(
      await rejection(
        createTask(setup.ctx, taskInput(setup, { sendTimeOptimization: true, abTest: { variants: [{}, { subject: "Other" }], sharePercent: 20, metric: "opens", waitHours: 2 } })),
        AppError,
      ),
    ).toMatchObject({ reason: "sendTimeWithAbTest", field: "sendTimeOptimization" });
    const [made] = await db().select({ n: sql<number>`count(*)::int` }).from(tasks).where(and(eq(tasks.departmentId, setup.departmentId), eq(tasks.sendTimeOptimized, true)));
    expect(made!.n).toBe(1); // the first test's task alone
  });
});
