import { and, eq } from "drizzle-orm";
import { dkimVerify } from "mailauth/lib/dkim/verify";
import nodemailer from "nodemailer";
import type { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { auditLog, groupPosts, groups, senderDomains, senders, tasks } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { createEntrance, listen } from "@/lib/gateway/entrance";
import { createGroup, deleteGroup, updateGroup, type GroupInput } from "@/lib/groups/groups";
import { deleteSender } from "@/lib/senders/senders";
import { approvePost, allowPoster, rejectPost } from "@/lib/groups/moderation";
import { addContacts } from "@/lib/pools/contacts";
import { eraseAddress } from "@/lib/privacy/erase";
import { lookupAddress } from "@/lib/privacy/holdings";
import { parseFeedbackAddress } from "@/lib/tokens/delivery-addresses";
import { describeOnDatabases } from "../helpers/db";
import { rejection } from "../helpers/rejection";
import { makeSendingSetup, sendAllDue } from "../helpers/sending";
import { startSmtpSink, type SinkMessage, type SmtpSink } from "../helpers/smtp-sink";

/**
 * Issue 19, Done-means 1: a post to a group address through the SMTP entrance reaches every other
 * active member once, with the list headers; a stranger's post is held (or refused, per setting) and
 * approving it sends it; a DMARC p=reject poster's From is rewritten; a message carrying the group's
 * own List-Id, or an automatic answer, is not sent round again.
 */

/** DNS as the posters' domains publish it: strict.example refuses mail that fails DMARC. */
const resolver = {
  resolveTxt: async (host: string): Promise<string[][]> => {
    if (host === "_dmarc.strict.example") return [["v=DMARC1; p=reject; rua=mailto:d@strict.example"]];
    throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  },
};

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.close();
});

type Client = ReturnType<typeof nodemailer.createTransport>;

describeOnDatabases("group addresses", (db) => {
  let entrance: SMTPServer | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    client?.close();
    await new Promise<void>((resolve) => (entrance ? entrance.close(() => resolve()) : resolve()));
    entrance = undefined;
    sink.reset();
  });

  /** A pool of five members on a verified domain, one of them on strict.example, and its group `team@…`. */
  const makeGroup = async (settings: Partial<GroupInput> = {}) => {
    const setup = await makeSendingSetup(db(), { count: 4 });
    await addContacts(setup.ctx, setup.poolId, [{ email: "boss@strict.example", name: "Boss" }]);
    const [sender] = await db().select({ address: senders.address }).from(senders).where(eq(senders.id, setup.senderId));
    const group = await createGroup(setup.ctx, { poolId: setup.poolId, address: `team@${sender!.address.split("@")[1]}`, name: "Team", ...settings });
    entrance = createEntrance(db(), { closeTimeoutMs: 200, resolver, logInfo: () => undefined, logError: () => undefined });
    const port = await listen(entrance, 0, "127.0.0.1");
    client = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
    const members = [...setup.emails, "boss@strict.example"];
    return { setup, group, members };
  };
  const post = (from: string, to: string, extra: Partial<nodemailer.SendMailOptions> = {}) =>
    client!.sendMail({ from, to, subject: "Quarterly report", text: "季度报告已经上传，请大家查看。", ...extra });
  const refusalOf = (promise: Promise<unknown>) => promise.then(() => null, (error: { responseCode?: number; response?: string }) => error);
  const byRecipient = (messages: SinkMessage[]) => messages.map((message) => message.envelope.rcptTo[0]).sort();

  it("sends a member's post to every other active member once, with the list headers", { timeout: 60_000 }, async () => {
    // A Chinese name: only the List-Id's phrase is encoded, its <list-id> stays readable.
    const { group, members } = await makeGroup({ replyTo: "group", name: "项目组" });
    const poster = members[0]!;
    // Sent to the address in other case: a mail system may keep the local part's case as written.
    const answer = await post(`"Person 0" <${poster}>`, group.address.replace("team@", "Team@"), { messageId: "<first@example.net>" });
    expect(answer.response).toMatch(/^250 .*Sent on to 4 member/);
    // The same post again (a server that missed our 250) is one post.
    await post(`"Person 0" <${poster}>`, group.address, { messageId: "<first@example.net>" });
    await sendAllDue(db(), sink.url);
    const received = await sink.waitFor(4);
    expect(byRecipient(received)).toEqual(members.slice(1).sort());
    // Signed by the group's domain, whose key DNS would publish.
    const groupDomain = group.address.split("@")[1]!;
    const [key] = await db().select({ selector: senderDomains.dkimSelector, publicKey: senderDomains.dkimPublicKey }).from(senderDomains).where(eq(senderDomains.domain, groupDomain));
    const dkimDns = async (name: string, type: string) => {
      if (type === "TXT" && name === `${key!.selector}._domainkey.${groupDomain}`) return [[`v=DKIM1; k=rsa; p=${key!.publicKey}`]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: "ENOTFOUND" });
    };
    for (const message of received) {
      const dkim = await dkimVerify(message.raw, { resolver: dkimDns });
      expect(dkim.results.map((result) => [result.signingDomain, result.status.result])).toEqual([[groupDomain, "pass"]]);
      const parsed = await message.parse();
      // mailparser folds the List-* fields into one object: read them as they were written.
      const head = message.raw.toString("utf8").split("\r\n\r\n")[0]!.replace(/\r\n[ \t]+/g, " ");
      const header = (name: string) => head.split("\r\n").find((line) => line.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim() ?? "";
      expect(header("list-id")).toMatch(new RegExp(`^=\\?UTF-8\\?Q\\?[^ ]+\\?= <${group.address.replace("@", ".").replace(/\./g, "\\.")}>$`));
      expect(header("list-post")).toContain(`mailto:${group.address}`);
      expect(header("list-archive")).toMatch(/\/g\/[^>]+/);
      expect(header("list-unsubscribe")).toMatch(/^<https?:\/\/.+>, <mailto:unsubscribe\+/);
      expect(header("list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
      expect(parsed.from?.value[0]?.address).toBe(poster);
      expect(parsed.replyTo?.value[0]?.address).toBe(group.address);
      expect(parsed.messageId).toBe("<first@example.net>");
      expect(parsed.text).toContain("季度报告");
      expect(parseFeedbackAddress(message.envelope.mailFrom)?.purpose).toBe("bounce");
    }
    const posts = await db().select().from(groupPosts).where(eq(groupPosts.groupId, group.id));
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ status: "sent", fromAddress: poster });
    const [task] = await db().select().from(tasks).where(eq(tasks.id, posts[0]!.taskId!));
    expect(task).toMatchObject({ kind: "group", total: 4, sent: 4 });
  });

  it("holds a stranger's post until a moderator approves it, refuses it when the group refuses strangers", { timeout: 60_000 }, async () => {
    const { setup, group, members } = await makeGroup();
    const answer = await post("stranger@elsewhere.example", group.address);
    expect(answer.response).toMatch(/Held for a moderator/);
    const [held] = await db().select().from(groupPosts).where(eq(groupPosts.groupId, group.id));
    expect(held).toMatchObject({ status: "held", reason: "not_member", taskId: null });
    await sendAllDue(db(), sink.url);
    expect(sink.messages).toHaveLength(0);

    const { taskId } = await approvePost(setup.ctx, held!.id);
    expect(await rejection(approvePost(setup.ctx, held!.id), AppError)).toMatchObject({ code: "conflict", reason: "groupPostDecided" });
    await sendAllDue(db(), sink.url);
    expect(byRecipient(await sink.waitFor(5))).toEqual([...members].sort());
    const [task] = await db().select({ sent: tasks.sent }).from(tasks).where(eq(tasks.id, taskId));
    expect(task!.sent).toBe(5);
    const audit = await db().select({ action: auditLog.action }).from(auditLog).where(and(eq(auditLog.departmentId, setup.departmentId), eq(auditLog.objectId, held!.id)));
    expect(audit.map((row) => row.action).sort()).toEqual(["group.approve", "group.hold"]);

    // Rejected with a reason: nothing is sent.
    sink.reset();
    await post("other@elsewhere.example", group.address, { subject: "Buy now" });
    const [spam] = await db().select().from(groupPosts).where(and(eq(groupPosts.groupId, group.id), eq(groupPosts.fromAddress, "other@elsewhere.example")));
    await rejectPost(setup.ctx, spam!.id, "Advertising");
    expect((await db().select({ status: groupPosts.status, reason: groupPosts.reason }).from(groupPosts).where(eq(groupPosts.id, spam!.id)))[0]).toEqual({ status: "rejected", reason: "Advertising" });

    // Always allowed: the next post of that sender goes straight through.
    await post("friend@elsewhere.example", group.address, { subject: "Hello" });
    const [friendly] = await db().select().from(groupPosts).where(and(eq(groupPosts.groupId, group.id), eq(groupPosts.fromAddress, "friend@elsewhere.example")));
    await allowPoster(setup.ctx, friendly!.id);
    expect((await post("friend@elsewhere.example", group.address, { subject: "Hello again" })).response).toMatch(/Sent on to 5 member/);
    await sendAllDue(db(), sink.url);
    expect(sink.messages.filter((message) => message.raw.toString("utf8").includes("Buy now"))).toHaveLength(0);

    await updateGroup(setup.ctx, group.id, { strangers: "refuse" });
    const refused = await refusalOf(post("stranger@elsewhere.example", group.address, { subject: "Again" }));
    expect(refused).toMatchObject({ responseCode: 550 });
    expect(refused!.response).toMatch(/5\.7\.1 <stranger@elsewhere\.example> may not post to .*only its members may/);
  });

  it("rewrites the From of a poster whose domain publishes DMARC p=reject", { timeout: 60_000 }, async () => {
    const { group, members } = await makeGroup({ replyTo: "poster" });
    await post('"Boss" <boss@strict.example>', group.address);
    await sendAllDue(db(), sink.url);
    const received = await sink.waitFor(4);
    expect(byRecipient(received)).toEqual(members.filter((email) => email !== "boss@strict.example").sort());
    const parsed = await received[0]!.parse();
    expect(parsed.from?.value[0]).toMatchObject({ address: group.address, name: "Boss via Team" });
    expect(parsed.replyTo?.value[0]?.address).toBe("boss@strict.example");
  });

  it("does not send round again a message with the group's own List-Id, an automatic answer or a bounce", { timeout: 60_000 }, async () => {
    const { group, members } = await makeGroup();
    const listId = `<${group.address.replace("@", ".")}>`;
    const looped = await post(members[1]!, group.address, { headers: { "List-Id": `"Team" ${listId}` } });
    expect(looped.response).toMatch(/not sent on \(loop\)/);
    const automatic = await post(members[2]!, group.address, { subject: "Out of office", headers: { "Auto-Submitted": "auto-replied" } });
    expect(automatic.response).toMatch(/not sent on \(automatic\)/);
    const bounce = await client!.sendMail({ envelope: { from: "", to: [group.address] }, raw: `From: MAILER-DAEMON@example.net\r\nTo: ${group.address}\r\nSubject: Undelivered\r\n\r\nfailed` });
    expect(bounce.response).toMatch(/not sent on/);
    expect(await db().select().from(groupPosts).where(eq(groupPosts.groupId, group.id))).toHaveLength(0);
    const relayed = await refusalOf(post(members[1]!, `nobody@${group.address.split("@")[1]}`));
    expect(relayed).toMatchObject({ responseCode: 550 });
    expect(relayed!.response).toMatch(/relaying denied/);
  });

  it("keeps the group's sender: deleting it is refused with the reason until the group goes", async () => {
    const { setup, group } = await makeGroup();
    const refused = await rejection(deleteSender(setup.ctx, group.senderId), AppError);
    expect(refused).toMatchObject({ code: "conflict", reason: "senderIsGroupAddress", params: { address: group.address } });
    await deleteGroup(setup.ctx, group.id);
    await deleteSender(setup.ctx, group.senderId);
    expect(await db().select().from(senders).where(eq(senders.id, group.senderId))).toEqual([]);
  });

  it("threads a reply with the post it answers", { timeout: 60_000 }, async () => {
    const { group, members } = await makeGroup();
    await post(members[0]!, group.address, { messageId: "<root@example.net>" });
    await post(members[1]!, group.address, { subject: "Re: Quarterly report", inReplyTo: "<root@example.net>", references: ["<root@example.net>"], messageId: "<r1@example.net>" });
    await post(members[2]!, group.address, { subject: "Re: Quarterly report", inReplyTo: "<r1@example.net>", references: ["<root@example.net>", "<r1@example.net>"] });
    // A program that writes References alone: in the thread, answering no post in particular.
    await post(members[3]!, group.address, { subject: "Re: Quarterly report", references: ["<root@example.net>"] });
    const posts = await db()
      .select({ id: groupPosts.id, threadId: groupPosts.threadId, messageId: groupPosts.messageId, inReplyTo: groupPosts.inReplyTo })
      .from(groupPosts)
      .where(eq(groupPosts.groupId, group.id))
      .orderBy(groupPosts.receivedAt);
    const root = posts.find((row) => row.messageId === "root@example.net")!;
    expect(posts.map((row) => row.threadId)).toEqual([root.id, root.id, root.id, root.id]);
    // Each keeps the post it answers (In-Reply-To), not the first of its references.
    expect(posts.map((row) => row.inReplyTo)).toEqual([null, "root@example.net", "r1@example.net", null]);
    // The copies of a reply carry its own Message-ID and threading, so members' programs thread them too.
    await sendAllDue(db(), sink.url);
    const copy = sink.messages.find((message) => message.raw.toString("latin1").includes("Message-ID: <r1@example.net>"));
    const parsed = await copy!.parse();
    expect(parsed.inReplyTo).toBe("<root@example.net>");
    expect([parsed.references].flat()).toEqual(["<root@example.net>"]);
  });

  it("lists a person's posts among what is held about them; erasing them removes their posts and their address from the others", { timeout: 60_000 }, async () => {
    const { setup, group, members } = await makeGroup({ moderators: ["mod@elsewhere.example"] });
    const [writer, named] = [members[0]!, members[1]!];
    await post(writer, group.address, { subject: "Minutes", text: `Please ask ${named} for the figures.` });
    await post(named, group.address, { subject: "Figures", text: "Attached tomorrow." });
    const held = await lookupAddress(setup.ctx, named);
    expect(held.stored.groupPosts.map((row) => row.subject).sort()).toEqual(["Figures", "Minutes"]);

    await eraseAddress(setup.ctx, { email: named, confirm: named });
    const left = await db().select().from(groupPosts).where(eq(groupPosts.groupId, group.id));
    expect(left.map((row) => row.subject)).toEqual(["Minutes"]);
    expect(left[0]!.bodyText).not.toContain(named);
    expect(left[0]!.raw.toString("latin1").toLowerCase()).not.toContain(named);

    await eraseAddress(setup.ctx, { email: "mod@elsewhere.example", confirm: "mod@elsewhere.example" });
    const [after] = await db().select({ moderators: groups.moderators }).from(groups).where(eq(groups.id, group.id));
    expect(after!.moderators).toEqual([]);
  });
});
