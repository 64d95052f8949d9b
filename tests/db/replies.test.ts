import { and, eq } from "drizzle-orm";
import nodemailer from "nodemailer";
import { simpleParser } from "mailparser";
import type { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { deliveries, deliveryEvents, outboxMessages, tasks, webhookMessages } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { GET as repliesRoute } from "@/app/api/v1/tasks/[id]/replies/route";
import { createApiKey } from "@/lib/accounts/api-keys";
import { systemActor } from "@/lib/access/actor";
import { createEntrance, listen } from "@/lib/gateway/entrance";
import { createTask, getTask } from "@/lib/sending/tasks";
import { addressToken, parseFeedbackAddress } from "@/lib/tokens/delivery-addresses";
import { createWebhookEndpoint } from "@/lib/webhooks/endpoints";
import { describeOnDatabases } from "../helpers/db";
import { rejection } from "../helpers/rejection";
import { makeSendingSetup, sendAllDue, taskInput } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

/**
 * Issue 19, Done-means 4: a task that collects replies gives each message its own Reply-To at
 * Fanout; a reply that comes back through the SMTP entrance (no AUTH: the signed token is the
 * credential) lands on that delivery, in the task's reply count and rate, and in the mailbox the
 * task forwards to; an out-of-office answer is counted apart and not forwarded.
 */

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.close();
});

describeOnDatabases("replies to a task's messages", (db) => {
  let entrance: SMTPServer | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (entrance ? entrance.close(() => resolve()) : resolve()));
    entrance = undefined;
    sink.reset();
  });
  const openEntrance = async () => {
    entrance = createEntrance(db(), { closeTimeoutMs: 200, logInfo: () => undefined, logError: () => undefined });
    return listen(entrance, 0, "127.0.0.1");
  };

  it("records a person's reply on its delivery once, counts an out-of-office apart, forwards only the person's", { timeout: 60_000 }, async () => {
    const setup = await makeSendingSetup(db(), { count: 3 });
    const endpoint = await createWebhookEndpoint(setup.ctx, { url: "https://93.184.215.14/hooks", events: ["replied"], departmentId: setup.departmentId });
    const task = await createTask(setup.ctx, taskInput(setup, { replyTracking: true, replyForwardTo: "Sales@Corp.example" }));
    expect(task).toMatchObject({ replyTracking: true, replyForwardTo: "sales@corp.example", replied: 0, autoReplied: 0 });
    await sendAllDue(db(), sink.url);
    const sent = await sink.waitFor(3);

    // Each message's Reply-To is its own delivery's reply address.
    const replyAddressOf = new Map<string, string>();
    for (const message of sent) {
      const parsed = await message.parse();
      const replyTo = parsed.replyTo?.value[0]?.address ?? "";
      const target = parseFeedbackAddress(replyTo);
      expect(target?.purpose).toBe("reply");
      const [delivery] = await db().select({ email: deliveries.email }).from(deliveries).where(eq(deliveries.id, target!.deliveryId!));
      expect(delivery!.email).toBe(message.envelope.rcptTo[0]);
      replyAddressOf.set(delivery!.email, replyTo);
    }

    const port = await openEntrance();
    const client = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
    const [person, away] = setup.emails;
    const reply = {
      from: person!,
      to: replyAddressOf.get(person!)!,
      subject: "Re: Hello Person 0",
      text: "是的，我们想订 40 份。请报价。\n\n> Dear Person 0",
      messageId: "<reply-1@example.net>",
    };
    const answer = await client.sendMail(reply);
    expect(answer.response).toMatch(/^250 .*replied/);
    // A server that did not hear our 250 sends the same reply again: recorded once.
    await client.sendMail(reply);
    await client.sendMail({
      from: away!,
      to: replyAddressOf.get(away!)!,
      subject: "Automatic reply: Hello Person 1",
      text: "I am out of the office until Monday.",
      headers: { "Auto-Submitted": "auto-replied" },
    });
    // A forged token is refused at RCPT and records nothing.
    const forged = replyAddressOf.get(person!)!.replace(/-[0-9a-f]{20}@/, "-00000000000000000000@");
    const refused = await client.sendMail({ from: person!, to: forged, subject: "Re", text: "x" }).then(
      () => null,
      (error: { responseCode?: number; response?: string }) => error,
    );
    expect(refused).toMatchObject({ responseCode: 550 });
    expect(refused!.response).toMatch(/unknown or forged token/);
    client.close();

    const view = await getTask(setup.ctx, task.id);
    expect(view).toMatchObject({ replied: 1, autoReplied: 1, sent: 3 });
    // The department's systems hear of the person's reply once, and not of the out-of-office.
    const events = await db().select({ type: webhookMessages.type, payload: webhookMessages.payload }).from(webhookMessages).where(eq(webhookMessages.endpointId, endpoint.id));
    expect(events).toEqual([
      { type: "replied", payload: { type: "replied", createdAt: expect.any(String), data: { deliveryId: expect.any(Number), taskId: task.id, email: person, subject: "Re: Hello Person 0" } } },
    ]);

    // Through the API: the department's key reads the replies (automatic ones on asking); another department's key is refused, as for the task itself.
    const keyOf = async (departmentId: string) => (await createApiKey({ db: db(), actor: systemActor("test") }, { name: "crm", scope: { company: false, departmentId } })).secret;
    const listReplies = async (key: string, query = "") =>
      repliesRoute(new Request(`http://fanout.test/api/v1/tasks/${task.id}/replies${query}`, { headers: { authorization: `Bearer ${key}`, "x-forwarded-for": "198.51.100.7" } }), {
        params: Promise.resolve({ id: task.id }),
      });
    const key = await keyOf(setup.departmentId);
    const people = (await (await listReplies(key)).json()) as { replies: { email: string; type: string; subject: string; text: string }[]; replied: number; replyRate: number };
    expect(people).toMatchObject({ replied: 1, autoReplied: 1, replyRate: 33.3, hasMore: false, page: 1 });
    expect(people.replies).toEqual([expect.objectContaining({ email: person, type: "replied", subject: "Re: Hello Person 0", text: expect.stringContaining("我们想订 40 份") })]);
    const all = (await (await listReplies(key, "?automatic=true")).json()) as { replies: { email: string; type: string }[] };
    expect(all.replies.map((reply) => [reply.email, reply.type])).toEqual([
      [away, "auto_reply"],
      [person, "replied"],
    ]);
    const stranger = await makeSendingSetup(db(), { count: 1 });
    expect((await listReplies(await keyOf(stranger.departmentId))).status).toBe(403);

    const eventsOf = async (email: string) => {
      const [delivery] = await db().select({ id: deliveries.id }).from(deliveries).where(and(eq(deliveries.taskId, task.id), eq(deliveries.email, email)));
      return db().select({ type: deliveryEvents.type, detail: deliveryEvents.detail }).from(deliveryEvents).where(eq(deliveryEvents.deliveryId, delivery!.id));
    };
    const personEvents = (await eventsOf(person!)).filter((event) => event.type === "replied");
    expect(personEvents).toHaveLength(1);
    expect(personEvents[0]!.detail).toMatchObject({ channel: "email", subject: "Re: Hello Person 0" });
    expect(String(personEvents[0]!.detail.reply)).toContain("我们想订 40 份");
    expect((await eventsOf(away!)).map((event) => event.type)).toContain("auto_reply");

    // Forwarded once, to the task's mailbox, with the reply attached as received; the out-of-office is not.
    const forwards = await db().select().from(outboxMessages).where(eq(outboxMessages.toAddress, "sales@corp.example"));
    expect(forwards).toHaveLength(1);
    const forward = await simpleParser(forwards[0]!.mime);
    expect(forward.subject).toBe("Fwd: Re: Hello Person 0");
    expect(forward.replyTo?.value[0]?.address).toBe(person);
    expect(forward.text).toContain("我们想订 40 份");
    const attached = forward.attachments.find((attachment) => attachment.contentType === "message/rfc822");
    expect(attached?.content.toString("utf8")).toContain("Message-ID: <reply-1@example.net>");
  });

  it("refuses reply collection on an SMS task and a forward address that is not an address or loops back", async () => {
    const setup = await makeSendingSetup(db(), { count: 1 });
    expect(await rejection(createTask(setup.ctx, taskInput(setup, { replyForwardTo: "not an address" })), AppError)).toMatchObject({ field: "replyForwardTo" });
    const loop = `reply+${addressToken("reply", 1)}@bounces.example.org`;
    expect(await rejection(createTask(setup.ctx, taskInput(setup, { replyForwardTo: loop })), AppError)).toMatchObject({ reason: "replyForwardLoops", field: "replyForwardTo" });
    expect(await rejection(createTask(setup.ctx, taskInput(setup, { channel: "sms", senderId: null, replyTracking: true })), AppError)).toMatchObject({
      field: expect.stringMatching(/replyTracking|templateId|channel/),
    });
    const plain = await createTask(setup.ctx, taskInput(setup));
    const [row] = await db().select({ replyTracking: tasks.replyTracking }).from(tasks).where(eq(tasks.id, plain.id));
    expect(row!.replyTracking).toBe(false);
  });
});
