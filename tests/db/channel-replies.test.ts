/**
 * Inbound replies (issue 21): an SMS reply is stored on the last text sent to that number, once per
 * provider message, shown in that delivery's trail and in the contact's conversation; an opt-out
 * word is stored and acted on; erasure and the retention job take the reply text and the number.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { expect, it, vi } from "vitest";
import { channelSuppressions, deliveries, deliveryEvents } from "@/db/schema";
import { createChannelTransport } from "@/lib/channels";
import { writeSetting } from "@/lib/accounts/settings";
import { eraseAddress } from "@/lib/privacy/erase";
import { runRetention } from "@/lib/privacy/retention";
import { deliveryTrail } from "@/lib/reports/delivery-trail";
import { contactConversation } from "@/lib/feedback/conversation";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask } from "@/lib/sending/tasks";
import { createSmtpTransport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { testSendingConfig } from "../helpers/sending";
import { makeSmsSetup, postTwilioReply, smsTaskInput, twilioEnv, useSmsProviders, type SmsSetup } from "../helpers/sms-task";

vi.mock("next/headers", () => import("../helpers/next-headers"));

describeOnDatabases("replies by SMS", (db) => {
  const providers = useSmsProviders();

  async function sendSmsTask(setup: SmsSetup) {
    for (const [name, value] of Object.entries(twilioEnv(providers.twilio().url))) vi.stubEnv(name, value);
    const task = await createTask(setup.ctx, smsTaskInput(setup));
    const engine = new LocalRunner(db(), {
      transport: createSmtpTransport({ url: providers.sink().url }),
      channels: { sms: createChannelTransport("sms", { env: twilioEnv(providers.twilio().url) }) },
      config: testSendingConfig({ batchSize: 100 }),
      log: () => undefined,
    });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
    return task.id;
  }

  async function reply(from: string, body: string, messageSid?: string) {
    const answer = await postTwilioReply(from, body, messageSid);
    expect(answer.status).toBe(200);
  }

  async function deliveryTo(taskId: string, phone: string) {
    const [row] = await db()
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(and(eq(deliveries.taskId, taskId), eq(deliveries.address, phone)));
    return row!.id;
  }

  async function repliesOn(deliveryId: number) {
    const rows = await db().select({ detail: deliveryEvents.detail }).from(deliveryEvents).where(and(eq(deliveryEvents.deliveryId, deliveryId), eq(deliveryEvents.type, "replied")));
    return rows.map((row) => row.detail.reply);
  }

  it("stores a reply on the last text sent to the number, once per provider message, and shows it in the trail and the conversation", async () => {
    const setup = await makeSmsSetup(db(), { count: 2 });
    const [replier, quiet] = setup.phones as [string, string];
    const first = await sendSmsTask(setup);
    const sid = `SM${unique("twice").replace(/[^a-z0-9]/g, "")}`;
    await reply(replier, "好的，周六上午到店", sid);
    await reply(replier, "好的，周六上午到店", sid);
    expect(await repliesOn(await deliveryTo(first, replier))).toEqual(["好的，周六上午到店"]);
    expect(await repliesOn(await deliveryTo(first, quiet))).toEqual([]);

    const trail = await deliveryTrail(setup.ctx, await deliveryTo(first, replier));
    expect(trail.timeline).toContainEqual(expect.objectContaining({ kind: "event", type: "replied", source: "channel", detail: expect.arrayContaining([["reply", "好的，周六上午到店"]]) }));

    // A second task: the next reply answers it, not the first.
    const second = await sendSmsTask(setup);
    await reply(replier, "TD");
    expect(await repliesOn(await deliveryTo(second, replier))).toEqual(["TD"]);
    expect(await repliesOn(await deliveryTo(first, replier))).toEqual(["好的，周六上午到店"]);
    expect(await db().select().from(channelSuppressions).where(and(eq(channelSuppressions.departmentId, setup.departmentId), eq(channelSuppressions.address, replier)))).toHaveLength(1);

    // The contact's conversation: both texts sent and both replies, newest first.
    const [contactId] = await contactIdsOf(setup, [replier]);
    const conversation = await contactConversation(setup.ctx, contactId!);
    expect(conversation.entries.map((entry) => (entry.kind === "reply" ? `← ${entry.text}` : `→ ${entry.taskId}`))).toEqual([`← TD`, `→ ${second}`, `← 好的，周六上午到店`, `→ ${first}`]);
  });

  it("stores nothing for a number nobody sent to, and another department does not see the conversation", async () => {
    const setup = await makeSmsSetup(db(), { count: 1 });
    await sendSmsTask(setup);
    const before = await db().select({ id: deliveryEvents.id }).from(deliveryEvents).where(eq(deliveryEvents.type, "replied"));
    await reply("+8613700000009", "谁？");
    expect(await db().select({ id: deliveryEvents.id }).from(deliveryEvents).where(eq(deliveryEvents.type, "replied"))).toHaveLength(before.length);

    const [contactId] = await contactIdsOf(setup, [setup.phones[0]!]);
    const other = await makeDepartment(db());
    const outsider = { db: db(), actor: actorFor(await makeUser(db(), "department", { departmentId: other.id }), "department", other.id) };
    await expect(contactConversation(outsider, contactId!)).rejects.toMatchObject({ code: "not_found" });
  });

  it("erasing the contact's address takes the reply text and the number from its deliveries", async () => {
    const setup = await makeSmsSetup(db(), { count: 2 });
    const [erased, kept] = setup.phones as [string, string];
    const taskId = await sendSmsTask(setup);
    await reply(erased, "请不要再发了，我的邮箱是 x@example.org");
    await reply(kept, "收到");
    const erasedDelivery = await deliveryTo(taskId, erased);
    const email = setup.emails[0]!;
    await eraseAddress(setup.ctx, { email, confirm: email });

    const [row] = await db().select({ address: deliveries.address }).from(deliveries).where(eq(deliveries.id, erasedDelivery));
    expect(row!.address).toBeNull();
    const events = await db().select({ detail: deliveryEvents.detail }).from(deliveryEvents).where(and(eq(deliveryEvents.deliveryId, erasedDelivery), eq(deliveryEvents.type, "replied")));
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0]!.detail)).not.toContain("请不要再发了");
    expect(await repliesOn(await deliveryTo(taskId, kept))).toEqual(["收到"]);

    // The retention job does the same to deliveries older than the company keeps them.
    await writeSetting(setup.ctx, "personalDataRetentionMonths", 1);
    await runRetention(db(), new Date(Date.now() + 40 * 24 * 3600_000));
    const redacted = await db().select({ address: deliveries.address }).from(deliveries).where(eq(deliveries.taskId, taskId));
    expect(redacted.map((row) => row.address)).toEqual([null, null]);
    expect(await db().select({ id: deliveryEvents.id }).from(deliveryEvents).where(sql`${deliveryEvents.type} = 'replied' and ${deliveryEvents.detail} ? 'reply' and ${deliveryEvents.deliveryId} in (select id from deliveries where task_id = ${taskId})`)).toEqual([]);
  });

  async function contactIdsOf(setup: SmsSetup, phones: string[]) {
    const rows = await db()
      .select({ contactId: deliveries.contactId, address: deliveries.address })
      .from(deliveries)
      .where(and(eq(deliveries.departmentId, setup.departmentId), inArray(deliveries.address, phones)));
    return phones.map((phone) => rows.find((row) => row.address === phone)!.contactId!);
  }
});
