import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { tasks } from "@/db/schema";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask, getTask } from "@/lib/sending/tasks";
import { formatInZone, instantOfZonedTime } from "@/lib/time/zone";
import { createSmtpTransport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { makeSendingSetup, taskInput, testSendingConfig } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

it("reads a wall-clock time in the company zone, daylight saving included", () => {
  expect(instantOfZonedTime("2026-11-25T18:30", "Asia/Shanghai").toISOString()).toBe("2026-11-25T10:30:00.000Z");
  expect(instantOfZonedTime("2026-07-01T09:00:05", "Europe/Berlin").toISOString()).toBe("2026-07-01T07:00:05.000Z");
  expect(instantOfZonedTime("2026-12-01T09:00", "Europe/Berlin").toISOString()).toBe("2026-12-01T08:00:00.000Z");
  expect(instantOfZonedTime("2026-03-08T12:00", "America/New_York").toISOString()).toBe("2026-03-08T16:00:00.000Z");
  expect(() => instantOfZonedTime("2026-02-30T10:00", "Asia/Shanghai")).toThrow(/not a date and time/);
});

describeOnDatabases("scheduled tasks", (db) => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink?.close();
  });

  it("starts a task at its time in FANOUT_TIMEZONE, within one runner tick, and not before", async () => {
    const tickMs = 100;
    const setup = await makeSendingSetup(db(), { emails: ["first@schedule.test", "second@schedule.test"] });
    // What a user in Shanghai types: a wall-clock time two seconds from now, to the second.
    const wallClock = formatInZone(new Date(Date.now() + 2000), "Asia/Shanghai").replace(" ", "T");
    const scheduledAt = instantOfZonedTime(wallClock, "Asia/Shanghai");
    const task = await createTask(setup.ctx, taskInput(setup, { scheduledAt }));
    expect(task.scheduledAt).toBe(scheduledAt.toISOString());

    const runner = new LocalRunner(db(), { transport: createSmtpTransport({ url: sink.url }), config: testSendingConfig({ tickMs }), log: () => undefined }).start();
    try {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, scheduledAt.getTime() - Date.now() - 300)));
      expect((await getTask(setup.ctx, task.id)).status).toBe("scheduled");
      expect(sink.messages.filter((message) => message.envelope.rcptTo[0]!.endsWith("@schedule.test"))).toHaveLength(0);
      const received = await sink.waitFor(sink.messages.length + 2, 10_000);
      const ours = received.filter((message) => message.envelope.rcptTo[0]!.endsWith("@schedule.test"));
      expect(ours).toHaveLength(2);
    } finally {
      await runner.stop();
    }
    const [row] = await db().select({ startedAt: tasks.startedAt }).from(tasks).where(eq(tasks.id, task.id));
    const lateness = row!.startedAt!.getTime() - scheduledAt.getTime();
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThanOrEqual(tickMs + 400);
  });
});
