/**
 * Send with confidence (issue 13): what the task form's confirmation step finds (reviewTask), and
 * the checks createTask and updateTask make themselves whatever the step said: a number to send
 * above the audience after suppression is refused on the limit field, and a company that requires
 * an unsubscribe link refuses a task whose template has none, on the template field.
 */
import { describeRefusal } from "@/lib/i18n/describe";
import { reasonsZh } from "@/lib/i18n/reasons-zh";
import { count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { auditLog, settings, tasks } from "@/db/schema";
import { writeSetting } from "@/lib/accounts/settings";
import { AppError } from "@/lib/errors";
import { addContacts } from "@/lib/pools/contacts";
import { createPool } from "@/lib/pools/pools";
import { addSuppressions } from "@/lib/pools/suppression";
import { reviewTask } from "@/lib/sending/task-pages";
import { createTask, hasUnsubscribeLink, updateTask } from "@/lib/sending/tasks";
import { createTemplate, saveTemplateVersion } from "@/lib/templates/store";
import { testSend } from "@/lib/templates/test-send";
import { describeOnDatabases } from "../helpers/db";
import { makeUser, unique } from "../helpers/factories";
import { serveAs } from "../helpers/next-headers";
import { rejection } from "../helpers/rejection";
import { makeSendingSetup, PERSONAL_TEMPLATE, taskInput, type SendingSetup } from "../helpers/sending";
import { snapshotState } from "../helpers/snapshot";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const LATER = new Date("2099-01-01T08:00:00Z");
/** The task form as the browser posts it. */
const posted = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
};
const NO_LINK = { subject: "Hello {{ name }}", html: "<p>Dear {{ name }}, nothing to leave by.</p>" };

describe("hasUnsubscribeLink", () => {
  it("finds {{ unsubscribe_url }} in an href or as text, with filters or whitespace control, and nothing else", () => {
    expect(hasUnsubscribeLink('<a href="{{ unsubscribe_url }}">Unsubscribe</a>')).toBe(true);
    expect(hasUnsubscribeLink("<p>Leave: {{unsubscribe_url}}</p>")).toBe(true);
    expect(hasUnsubscribeLink('<a href="{{- unsubscribe_url | escape -}}">退订</a>')).toBe(true);
    expect(hasUnsubscribeLink("<p>Hello {{ name }}</p>")).toBe(false);
    expect(hasUnsubscribeLink("<p>unsubscribe_url</p>")).toBe(false);
    expect(hasUnsubscribeLink("<p>{{ unsubscribe_url_old }}</p>")).toBe(false);
  });
});

describeOnDatabases("send with confidence", (db) => {
  let setup: SendingSetup;
  let secondPool: string;
  const tasksOf = async (departmentId: string) => (await db().select({ value: count() }).from(tasks).where(eq(tasks.departmentId, departmentId)))[0]!.value;

  beforeAll(async () => {
    // Five contacts, one suppressed; a second pool holds two of them again and one more.
    setup = await makeSendingSetup(db(), { count: 5, quota: 100 });
    await addSuppressions(setup.ctx, { departmentId: setup.departmentId, addresses: setup.emails[0]!, reason: "manual" });
    secondPool = (await createPool(setup.ctx, { name: unique("second"), departmentId: setup.departmentId })).id;
    await addContacts(setup.ctx, secondPool, [
      { email: setup.emails[1]!, name: "Person 1", attributes: {} },
      { email: setup.emails[2]!, name: "Person 2", attributes: {} },
      { email: `extra.${unique("x")}@example.net`, name: "Extra", attributes: {} },
    ]);
  });

  it("shows the audience after suppression and across pools, the quota left afterwards, the domain and a preview, and changes nothing", async () => {
    const before = await snapshotState(db());
    const one = await reviewTask(setup.ctx, taskInput(setup, { scheduledAt: LATER }), null);
    expect(one).toMatchObject({ recipients: 4, sendable: 4, suppressed: 1, duplicates: 0, limit: null, quotaLeft: { department: 96 } });
    expect(one.domain).toMatchObject({ status: "verified" });
    expect(one.template).toMatchObject({ version: 1, unsubscribeLink: true });
    expect(one.testSend).toBeNull();
    // The preview is the first recipient's message: the suppressed first contact is not it.
    expect(one.preview).toMatchObject({ to: setup.emails[1], subject: "Hello Person 1" });
    expect(one.preview!.html).toContain("Dear Person 1 from 上海");

    const both = await reviewTask(setup.ctx, taskInput(setup, { poolIds: [setup.poolId, secondPool], limit: 3, scheduledAt: LATER }), null);
    expect(both).toMatchObject({ recipients: 3, sendable: 5, suppressed: 1, duplicates: 2, limit: 3, quotaLeft: { department: 97 } });
    expect(await snapshotState(db())).toBe(before);
  });

  it("refuses a number to send above the audience on the limit field, on review, create and edit alike", async () => {
    const tooMany = taskInput(setup, { limit: 5, scheduledAt: LATER });
    const tasksBefore = await tasksOf(setup.departmentId);
    for (const attempt of [() => reviewTask(setup.ctx, tooMany, null), () => createTask(setup.ctx, tooMany)]) {
      const error = await rejection(attempt(), AppError);
      expect(error.code).toBe("invalid_input");
      expect(error.details).toEqual({ field: "limit" });
      expect(error.message).toBe("The number to send (5) is more than the audience holds: 4 after suppressed addresses are left out");
    }
    expect(await tasksOf(setup.departmentId)).toBe(tasksBefore);

    const task = await createTask(setup.ctx, taskInput(setup, { limit: 4, scheduledAt: LATER }));
    expect(task.reserved).toBe(4);
    expect((await rejection(updateTask(setup.ctx, task.id, taskInput(setup, { limit: 5, scheduledAt: LATER })), AppError)).details).toEqual({ field: "limit" });
    expect((await rejection(reviewTask(setup.ctx, taskInput(setup, { limit: 5, scheduledAt: LATER }), task.id), AppError)).details).toEqual({ field: "limit" });
    // Editing gives the task's own reservation back first: 100 − 4 reserved + 4 released − 2.
    expect((await reviewTask(setup.ctx, taskInput(setup, { limit: 2, scheduledAt: LATER }), task.id)).quotaLeft.department).toBe(98);
    expect((await updateTask(setup.ctx, task.id, taskInput(setup, { limit: 2, scheduledAt: LATER }))).reserved).toBe(2);
  });

  it("checks again on confirm: an address suppressed after the review makes the reviewed limit too many", async () => {
    const input = taskInput(setup, { poolIds: [secondPool], limit: 3, scheduledAt: LATER });
    expect((await reviewTask(setup.ctx, input, null)).recipients).toBe(3);
    await addSuppressions(setup.ctx, { departmentId: setup.departmentId, addresses: setup.emails[2]!, reason: "manual" });
    expect((await rejection(createTask(setup.ctx, input), AppError)).message).toMatch(/more than the audience holds: 2 after/);
  });

  it("shows the form's field error through the console action", async () => {
    const admin = await makeUser(db(), "admin");
    await serveAs(admin);
    const { createTask: createAction, reviewTask: reviewAction } = await import("@/app/(console)/tasks/actions");
    const form = { departmentId: setup.departmentId, name: unique("console"), templateId: setup.templateId, audience: "pools", poolIds: setup.poolId, senderId: setup.senderId, amount: "some", limit: "40", when: "later", scheduledAt: "2099-01-01T08:00" };
    // The confirmation step posts the form without an id (a new task); the confirm posts it again to createTask.
    for (const result of [await reviewAction(posted(form)), await createAction(posted(form))]) {
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error.fieldErrors?.limit).toMatchObject({ reason: "limitAboveAudience", params: { limit: 40 } });
      expect(!result.ok && describeRefusal(reasonsZh, result.error.fieldErrors!.limit!)).toMatch(/^发送数量（40）超过了收件范围/);
    }
    const reviewed = await reviewAction(posted({ ...form, limit: "1" }));
    expect(reviewed.ok && reviewed.data.recipients).toBe(1);
  });

  it("says whether the template's current version was test-sent, from the operation log", async () => {
    await testSend(setup.ctx, { templateId: setup.templateId, senderId: setup.senderId, recipients: "tester@example.org" });
    const tested = await reviewTask(setup.ctx, taskInput(setup, { scheduledAt: LATER }), null);
    expect(tested.testSend).toMatchObject({ by: "test" });
    await saveTemplateVersion(setup.ctx, setup.templateId, { name: unique("template"), ...PERSONAL_TEMPLATE });
    const changed = await reviewTask(setup.ctx, taskInput(setup, { scheduledAt: LATER }), null);
    expect(changed.template.version).toBe(2);
    expect(changed.testSend).toBeNull();
  });

  it("warns of a template without an unsubscribe link, and refuses it once the company requires one", async () => {
    const bare = await createTemplate(setup.ctx, { name: unique("bare"), departmentId: setup.departmentId, ...NO_LINK });
    const input = taskInput(setup, { templateId: bare.id, scheduledAt: LATER });
    expect((await reviewTask(setup.ctx, input, null)).template.unsubscribeLink).toBe(false);
    const allowed = await createTask(setup.ctx, input);

    await writeSetting(setup.ctx, "requireUnsubscribeLink", true);
    try {
      const [audited] = await db().select().from(auditLog).where(eq(auditLog.objectId, "requireUnsubscribeLink"));
      expect(audited).toMatchObject({ action: "settings.update", objectType: "setting", summary: "Set “templates must have an unsubscribe link” to on", summaryKey: "settings.update" });
      const tasksBefore = await tasksOf(setup.departmentId);
      for (const attempt of [() => reviewTask(setup.ctx, input, null), () => createTask(setup.ctx, input), () => updateTask(setup.ctx, allowed.id, input)]) {
        const error = await rejection(attempt(), AppError);
        expect(error.details).toEqual({ field: "templateId" });
        expect(error.message).toBe("The template has no unsubscribe link ({{ unsubscribe_url }}), and the company requires one in every task");
      }
      expect(await tasksOf(setup.departmentId)).toBe(tasksBefore);
      // A template with the link is still fine.
      expect((await createTask(setup.ctx, taskInput(setup, { scheduledAt: LATER }))).status).toBe("scheduled");
    } finally {
      await writeSetting(setup.ctx, "requireUnsubscribeLink", false);
    }
    expect((await db().select().from(settings).where(eq(settings.key, "requireUnsubscribeLink")))[0]!.value).toBe(false);
  });
});
