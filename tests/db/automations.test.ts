import { and, eq, sql } from "drizzle-orm";
import { InngestTestEngine } from "@inngest/test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { queryRows } from "@/db/client";
import { automationEnrolments, automationStepRuns, deliveries } from "@/db/schema";
import { createFunctions } from "@/inngest/functions";
import { changeContactTags } from "@/lib/audiences/contact-tags";
import { createTag } from "@/lib/audiences/tags";
import { enrolDateTriggers } from "@/lib/automations/dates";
import { advanceAutomations } from "@/lib/automations/engine";
import { createAutomation, deleteAutomation, getAutomation, setAutomationStatus } from "@/lib/automations/store";
import { AppError } from "@/lib/errors";
import { recordOpen } from "@/lib/feedback/tracking";
import { addContacts } from "@/lib/pools/contacts";
import { subscribe } from "@/lib/pools/subscribe";
import { createTemplate } from "@/lib/templates/store";
import { createSmtpTransport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { unique } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { makeSendingSetup, PERSON_VISIT, sendAllDue, testSendingConfig, type SendingSetup } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

vi.mock("next/headers", () => import("../helpers/next-headers"));

/*
 * Issue 18, Done-means 3: automations. A thousand people subscribe at once and each gets the
 * welcome series once, in order, its wait kept on a fake clock; pausing holds everyone where they
 * are; a branch on opens; the other triggers; the Inngest function runs the same ledger.
 */

const HOUR = 3_600_000;

describeOnDatabases("automations", (db) => {
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
  });

  const drain = () => sendAllDue(db(), sink.url, { timeoutMs: 240_000 });

  /** The subjects each address received from the sink, in the order they arrived, for addresses of `domain`. */
  function inbox(domain: string) {
    const subjects = new Map<string, string[]>();
    for (const message of sink.messages) {
      const subject = /^Subject: (.*)$/m.exec(message.raw.toString("latin1"))?.[1] ?? "";
      for (const to of message.envelope.rcptTo.filter((address) => address.endsWith(`@${domain}`))) subjects.set(to, [...(subjects.get(to) ?? []), subject]);
    }
    return subjects;
  }

  /** Advances every enrolment due at `at` until none is. */
  async function advanceAt(at: Date) {
    let total = 0;
    for (let round = 0; round < 100; round++) {
      const advanced = await advanceAutomations(db(), at, { limit: 500 });
      total += advanced;
      if (advanced === 0) return total;
    }
    throw new Error("automations kept having due enrolments");
  }

  async function templates(setup: SendingSetup, ...subjects: string[]) {
    const made: string[] = [];
    for (const subject of subjects) {
      made.push((await createTemplate(setup.ctx, { name: unique("template"), departmentId: setup.departmentId, subject, html: `<p>${subject}</p><p><a href="https://example.com/more">More</a></p>` })).id);
    }
    return made;
  }

  it("welcomes 1,000 people who subscribe at once, each exactly once and in order, the second message only after the 48-hour wait", { timeout: 480_000 }, async () => {
    const setup = await makeSendingSetup(db(), { emails: [], quota: null });
    const [welcome, second] = await templates(setup, "Welcome aboard", "Two days in");
    const automation = await createAutomation(setup.ctx, {
      name: "Welcome series",
      trigger: { type: "subscribed", poolId: setup.poolId },
      steps: [{ type: "send", templateId: welcome! }, { type: "wait", hours: 48 }, { type: "send", templateId: second! }],
      senderId: setup.senderId,
      departmentId: setup.departmentId,
    });
    const domain = `${unique("w")}.example.net`;
    const people = Array.from({ length: 1_000 }, (_, index) => `person-${index}@${domain}`);
    await Promise.all(people.map((email, index) => subscribe(setup.ctx, { poolId: setup.poolId, email, name: `Person ${index}` })));
    // A client that retried (the same address again) makes no second event.
    await Promise.all(people.slice(0, 100).map((email) => subscribe(setup.ctx, { poolId: setup.poolId, email })));
    const start = new Date();

    // The local runner's rounds send the welcome (its clock is the real one: the enrolments are due now).
    await drain();
    let mail = inbox(domain);
    expect(mail.size).toBe(1_000);
    expect([...mail.values()].filter((subjects) => subjects.join("|") !== "Welcome aboard")).toEqual([]);

    // Nobody's second message a minute before the wait is over; everybody's at its end.
    expect(await advanceAt(new Date(start.getTime() + 48 * HOUR - 60_000))).toBe(0);
    expect(await advanceAt(new Date(start.getTime() + 48 * HOUR + 60_000))).toBe(1_000);
    await drain();
    mail = inbox(domain);
    expect([...mail.values()].filter((subjects) => subjects.join("|") !== "Welcome aboard|Two days in")).toEqual([]);

    const view = await getAutomation(setup.ctx, automation.id);
    expect(view.enrolments).toEqual({ active: 0, done: 1_000, stopped: 0 });
    expect(view.stepFigures.map((figures) => figures.ran)).toEqual([1_000, 1_000, 1_000]);
    const [order] = await queryRows<{ out_of_order: number }>(
      db(),
      sql`select count(*)::int as out_of_order from automation_step_runs a join automation_step_runs b on a.enrolment_id = b.enrolment_id and a.step < b.step and a.ran_at > b.ran_at`,
    );
    expect(order!.out_of_order).toBe(0);
  });

  it("holds every enrolment where it is while paused and goes on from there when resumed; a branch sends the reminder only to those who did not open", { timeout: 120_000 }, async () => {
    const setup = await makeSendingSetup(db(), { emails: [], quota: null });
    const [welcome, reminder] = await templates(setup, "Hello there", "Did you see this?");
    const domain = `${unique("b")}.example.net`;
    const automation = await createAutomation(setup.ctx, {
      name: "Nudge",
      trigger: { type: "subscribed", poolId: setup.poolId },
      steps: [
        { type: "tag", add: ["welcomed"], remove: [] },
        { type: "send", templateId: welcome! },
        { type: "wait", hours: 24 },
        { type: "branch", on: "opened", sendStep: 1, yes: null, no: 4 },
        { type: "send", templateId: reminder! },
      ],
      senderId: setup.senderId,
      departmentId: setup.departmentId,
    });
    for (const name of ["reader", "skipper"]) await subscribe(setup.ctx, { poolId: setup.poolId, email: `${name}@${domain}` });
    await drain();
    // The reader opens the welcome an hour later, as a person.
    const [read] = await db()
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(and(eq(deliveries.email, `reader@${domain}`), eq(deliveries.departmentId, setup.departmentId)));
    await db().update(deliveries).set({ sentAt: new Date(Date.now() - HOUR) }).where(eq(deliveries.id, read!.id));
    expect(await recordOpen(db(), read!.id, PERSON_VISIT)).toMatchObject({ recorded: true, machine: false });

    await setAutomationStatus(setup.ctx, automation.id, "paused");
    const later = new Date(Date.now() + 25 * HOUR);
    expect(await advanceAt(later)).toBe(0);
    expect((await getAutomation(setup.ctx, automation.id)).stepFigures[3]!.at).toBe(2);
    expect(await rejection(setAutomationStatus(setup.ctx, automation.id, "paused"), AppError)).toMatchObject({ code: "conflict", reason: "automationAlready" });

    await setAutomationStatus(setup.ctx, automation.id, "active");
    expect(await advanceAt(later)).toBe(2);
    await drain();
    expect(Object.fromEntries(inbox(domain))).toEqual({ [`reader@${domain}`]: ["Hello there"], [`skipper@${domain}`]: ["Hello there", "Did you see this?"] });
    const figures = (await getAutomation(setup.ctx, automation.id)).stepFigures;
    expect(figures[3]).toMatchObject({ yes: 1, no: 1 });
    expect(figures[1]).toMatchObject({ sent: 2, opened: 1 });
    const [tagged] = await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from contact_tags ct join tags t on t.id = ct.tag_id where t.department_id = ${setup.departmentId} and t.name = 'welcomed'`);
    expect(tagged!.n).toBe(2);
  });

  it("deletes an automation: its waiting contacts leave the series at once, what it sent stays, and the deletion is audited", { timeout: 60_000 }, async () => {
    const setup = await makeSendingSetup(db(), { emails: [], quota: null });
    const [welcome, later] = await templates(setup, "Welcome", "A day later");
    const automation = await createAutomation(setup.ctx, {
      name: "Short-lived",
      trigger: { type: "subscribed", poolId: setup.poolId },
      steps: [{ type: "send", templateId: welcome! }, { type: "wait", hours: 24 }, { type: "send", templateId: later! }],
      senderId: setup.senderId,
      departmentId: setup.departmentId,
    });
    const domain = `${unique("d")}.example.net`;
    for (const name of ["ann", "bob"]) await subscribe(setup.ctx, { poolId: setup.poolId, email: `${name}@${domain}` });
    await drain();
    expect(inbox(domain).size).toBe(2);

    expect(await deleteAutomation(setup.ctx, automation.id)).toEqual({ id: automation.id, name: "Short-lived", enrolled: 2 });
    expect(await db().select().from(automationEnrolments).where(eq(automationEnrolments.automationId, automation.id))).toEqual([]);
    expect(await advanceAt(new Date(Date.now() + 25 * HOUR))).toBe(0);
    await drain();
    expect(Object.fromEntries(inbox(domain))).toEqual({ [`ann@${domain}`]: ["Welcome"], [`bob@${domain}`]: ["Welcome"] });
    const sent = await db().select({ id: deliveries.id }).from(deliveries).where(and(eq(deliveries.departmentId, setup.departmentId), sql`${deliveries.email} like ${`%@${domain}`}`));
    expect(sent).toHaveLength(2);
    expect(await rejection(getAutomation(setup.ctx, automation.id), AppError)).toMatchObject({ code: "not_found" });
    expect(await rejection(deleteAutomation(setup.ctx, automation.id), AppError)).toMatchObject({ code: "not_found" });
    const [audit] = await queryRows<{ summary: string }>(db(), sql`select summary from audit_log where action = 'automation.delete' and object_id = ${automation.id}`);
    expect(audit!.summary).toBe('Deleted automation "Short-lived" and its 2 enrolments');
  });

  it("enrols on a tag put on, and on a date attribute coming round once a day", async () => {
    const setup = await makeSendingSetup(db(), { emails: ["ann@dates.test", "bob@dates.test", "cai@dates.test"], quota: null });
    const tag = await createTag(setup.ctx, { name: "vip", departmentId: setup.departmentId });
    const byTag = await createAutomation(setup.ctx, { name: "VIP", trigger: { type: "tag_added", tagId: tag.id }, steps: [{ type: "send", templateId: setup.templateId }], senderId: setup.senderId, departmentId: setup.departmentId });
    const birthday = await createAutomation(setup.ctx, {
      name: "Birthday",
      trigger: { type: "date_attribute", attribute: "birthday", yearly: true, daysBefore: 3 },
      steps: [{ type: "send", templateId: setup.templateId }],
      senderId: setup.senderId,
      departmentId: setup.departmentId,
    });
    const ids = (await queryRows<{ id: number; email: string }>(db(), sql`select id, email from contacts where department_id = ${setup.departmentId} order by email`)).map((row) => ({ ...row, id: Number(row.id) }));
    await changeContactTags(setup.ctx, { contactIds: [ids[0]!.id, ids[1]!.id] }, { add: ["vip"] });
    // Put on again: no new event.
    await changeContactTags(setup.ctx, { contactIds: [ids[0]!.id] }, { add: ["vip"] });
    expect((await getAutomation(setup.ctx, byTag.id)).enrolments.active).toBe(2);

    await addContacts(setup.ctx, setup.poolId, [
      { email: "ann@dates.test", attributes: { birthday: "1990-12-10" } },
      { email: "bob@dates.test", attributes: { birthday: "1985-12-11" } },
      { email: "cai@dates.test", attributes: { birthday: "not a date" } },
    ]);
    // 7 December in Shanghai: three days before ann's birthday.
    const morning = new Date("2026-12-07T01:00:00Z");
    await enrolDateTriggers(db(), morning);
    await enrolDateTriggers(db(), new Date("2026-12-07T10:00:00Z"));
    const enrolled = await db().select({ contactId: automationEnrolments.contactId, key: automationEnrolments.triggerKey }).from(automationEnrolments).where(eq(automationEnrolments.automationId, birthday.id));
    expect(enrolled).toEqual([{ contactId: ids[0]!.id, key: "date:2026-12-07" }]);
    await enrolDateTriggers(db(), new Date("2026-12-08T01:00:00Z"));
    expect((await getAutomation(setup.ctx, birthday.id)).enrolments.active).toBe(2);
  });

  it("refuses what it cannot run, naming the field, and another department's pool", async () => {
    const setup = await makeSendingSetup(db(), { emails: [], quota: null });
    const other = await makeSendingSetup(db(), { emails: [] });
    const base = { name: "Broken", trigger: { type: "subscribed" as const, poolId: setup.poolId }, senderId: setup.senderId, departmentId: setup.departmentId };
    const refuse = (input: Partial<Parameters<typeof createAutomation>[1]>) => rejection(createAutomation(setup.ctx, { ...base, steps: [{ type: "send", templateId: setup.templateId }], ...input }), AppError);
    expect(await refuse({ trigger: { type: "subscribed", poolId: other.poolId } })).toMatchObject({ reason: "automationTriggerOfOtherDepartment", field: "trigger.poolId" });
    expect(await refuse({ steps: [{ type: "wait", hours: 2 }] })).toMatchObject({ reason: "automationNeedsSend", field: "steps" });
    expect(await refuse({ steps: [{ type: "send", templateId: other.templateId }] })).toMatchObject({ reason: "templateOfOtherDepartment", field: "steps.0" });
    expect(await refuse({ steps: [{ type: "send", templateId: setup.templateId }, { type: "wait", hours: 0 }] })).toMatchObject({ reason: "automationWaitOutOfRange", field: "steps.1" });
    expect(
      await refuse({ steps: [{ type: "send", templateId: setup.templateId }, { type: "wait", hours: 2 }, { type: "branch", on: "opened", sendStep: 0, yes: 1, no: null }] }),
    ).toMatchObject({ reason: "automationBranchBackwards", field: "steps.2" });
    expect(await refuse({ senderId: other.senderId })).toMatchObject({ field: "senderId" });
    expect(await rejection(createAutomation(other.ctx, { ...base, departmentId: other.departmentId, steps: [{ type: "send", templateId: other.templateId }], senderId: other.senderId }), AppError)).toMatchObject({
      reason: "automationTriggerOfOtherDepartment",
    });
  });

  describe("under Inngest", () => {
    it("the automation runner advances the same ledger: due steps once, waits kept, nothing again on a second run", { timeout: 120_000 }, async () => {
      const setup = await makeSendingSetup(db(), { emails: [], quota: null });
      const [first, second] = await templates(setup, "First note", "Second note");
      await createAutomation(setup.ctx, {
        name: "Two notes",
        trigger: { type: "subscribed", poolId: setup.poolId },
        steps: [{ type: "send", templateId: first! }, { type: "wait", hours: 1 }, { type: "send", templateId: second! }],
        senderId: setup.senderId,
        departmentId: setup.departmentId,
      });
      const domain = `${unique("i")}.example.net`;
      for (let index = 0; index < 30; index++) await subscribe(setup.ctx, { poolId: setup.poolId, email: `n${index}@${domain}` });
      const transport = createSmtpTransport({ url: sink.url });
      const functions = createFunctions(async () => ({ db: db(), transport, config: testSendingConfig() }));
      /** This department's step runs after a run of the function (other tests' enrolments may be advanced beside them). */
      const run = async () => {
        const output = await new InngestTestEngine({ function: functions.automations, events: [{ name: "inngest/scheduled.timer", data: {} }] }).execute();
        expect(output.error).toBeUndefined();
        const [runs] = await queryRows<{ n: number }>(
          db(),
          sql`select count(*)::int as n from ${automationStepRuns} r join ${automationEnrolments} e on e.id = r.enrolment_id where e.department_id = ${setup.departmentId}`,
        );
        return runs!.n;
      };
      try {
        // Each person's first note, and the start of the wait.
        expect(await run()).toBe(60);
        expect(await run()).toBe(60);
        await drain(); // the messages lane sends the first notes meanwhile
        // An hour passes: the waits are over.
        await db().execute(sql`update automation_enrolments set due_at = due_at - interval '61 minutes' where department_id = ${setup.departmentId} and status = 'active'`);
        expect(await run()).toBe(90);
        expect(await run()).toBe(90);
      } finally {
        await transport.close();
      }
      await drain();
      const mail = inbox(domain);
      expect(mail.size).toBe(30);
      expect([...mail.values()].filter((subjects) => subjects.join("|") !== "First note|Second note")).toEqual([]);
    });
  });
});
