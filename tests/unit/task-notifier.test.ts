import { afterEach, describe, expect, it, vi } from "vitest";
import { inngest } from "@/inngest/client";
import { TASK_EVENTS } from "@/inngest/events";
import { inngestTaskNotifier } from "@/inngest/notifier";
import { notifyEngine, onTaskEvent, setTaskNotifier, type TaskChange } from "@/lib/dispatch/task-changes";

describe("task notifier", () => {
  afterEach(() => {
    setTaskNotifier(undefined);
    vi.restoreAllMocks();
  });

  it("tells the in-process runner by default, and the installed driver instead once there is one", async () => {
    const heard: [TaskChange, string][] = [];
    const stop = onTaskEvent((change, taskId) => heard.push([change, taskId]));
    try {
      await notifyEngine("resumed", { id: "t1" });
      const driver = vi.fn(async () => undefined);
      setTaskNotifier({ taskChanged: driver });
      await notifyEngine("paused", { id: "t2" });
      expect(heard).toEqual([["resumed", "t1"]]);
      expect(driver).toHaveBeenCalledWith("paused", { id: "t2" });
    } finally {
      stop();
    }
  });

  it("sends Inngest the task's event, with its time when it has one", async () => {
    const send = vi.spyOn(inngest, "send").mockResolvedValue({ ids: ["e1"] });
    await inngestTaskNotifier.taskChanged("scheduled", { id: "t3", scheduledAt: new Date("2026-12-04T10:00:00Z") });
    await inngestTaskNotifier.taskChanged("cancelled", { id: "t3" });
    expect(send.mock.calls).toEqual([
      [{ name: TASK_EVENTS.scheduled, data: { taskId: "t3", scheduledAt: "2026-12-04T10:00:00.000Z" } }],
      [{ name: TASK_EVENTS.cancelled, data: { taskId: "t3" } }],
    ]);
  });
});
