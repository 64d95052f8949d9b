import { eq } from "drizzle-orm";
import MailComposer from "nodemailer/lib/mail-composer";
import { expect, it } from "vitest";
import { groupPosts, type GroupPostStatus } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { AppError } from "@/lib/errors";
import { attachment, consoleArchive, heldPosts, likePattern, listThreads, readPost, readThread, type Archive } from "@/lib/groups/archive";
import { archiveLink, memberArchive } from "@/lib/groups/archive-access";
import { attachmentResponse } from "@/lib/groups/archive-download";
import { createGroup } from "@/lib/groups/groups";
import { addContact } from "@/lib/pools/contact-edits";
import { createPool } from "@/lib/pools/pools";
import { unsubscribe } from "@/lib/pools/subscribe";
import { signToken } from "@/lib/tokens/signed";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { addVerifiedDomain } from "../helpers/sending";

/** A post as the lead's intake leaves it: MIME kept, text and attachments listed, the thread set from In-Reply-To / References. */
async function mime(input: { from: string; subject: string; text: string; messageId: string; inReplyTo?: string; references?: string[]; attachments?: { filename: string; content: Buffer; contentType: string }[] }) {
  return new MailComposer({
    from: input.from,
    to: "team@lists.example.com",
    subject: input.subject,
    text: input.text,
    messageId: `<${input.messageId}>`,
    ...(input.inReplyTo ? { inReplyTo: `<${input.inReplyTo}>`, references: (input.references ?? [input.inReplyTo]).map((id) => `<${id}>`) } : {}),
    attachments: input.attachments,
  })
    .compile()
    .build();
}

describeOnDatabases("the archive of a group address", (db) => {
  async function setup() {
    const dept = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: dept.id });
    const ctx = { db: db(), actor: actorFor(user, "department", dept.id) };
    const domain = await addVerifiedDomain({ db: db(), actor: systemActor("test") }, `${unique("lists")}.example.com`, dept.id);
    const pool = await createPool(ctx, { name: unique("团队") });
    const group = await createGroup(ctx, { poolId: pool.id, address: `team@${domain.domain}`, name: "项目组" });
    let minute = 0;
    const post = async (input: Parameters<typeof mime>[0] & { threadId?: string; status?: GroupPostStatus; reason?: string }) => {
      const raw = await mime(input);
      const id = crypto.randomUUID();
      await db()
        .insert(groupPosts)
        .values({
          id,
          groupId: group.id,
          departmentId: dept.id,
          threadId: input.threadId ?? id,
          messageId: input.messageId,
          inReplyTo: input.inReplyTo ?? null,
          subject: input.subject,
          fromAddress: /<(.+)>/.exec(input.from)?.[1] ?? input.from,
          fromName: /^"?([^"<]*?)"?\s*</.exec(input.from)?.[1]?.trim() ?? "",
          bodyText: input.text,
          attachments: (input.attachments ?? []).map((file) => ({ fileName: file.filename, contentType: file.contentType, size: file.content.byteLength })),
          raw,
          size: raw.byteLength,
          status: input.status ?? "sent",
          reason: input.reason ?? "",
          receivedAt: new Date(Date.UTC(2026, 11, 1, 9, minute++)),
        });
      return id;
    };
    return { ctx, deptId: dept.id, pool, group, post };
  }

  it("shows a post and its two replies as one thread, in order, and finds a Chinese word of its text in no other thread", async () => {
    const { ctx, post, group } = await setup();
    const pdf = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.from([0, 1, 2, 250, 251, 252])]);
    const first = await post({
      from: '"王小明" <wang@example.org>',
      subject: "第三季度计划",
      text: "大家好，\n请在周五前提交季度报告。\n谢谢",
      messageId: "first@example.org",
      attachments: [{ filename: "计划 草稿.pdf", content: pdf, contentType: "application/pdf" }],
    });
    const reply = await post({ from: "li@example.org", subject: "Re: 第三季度计划", text: "收到，我周四交。", messageId: "reply-1@example.org", inReplyTo: "first@example.org", threadId: first });
    await post({ from: '"Zhao" <zhao@example.org>', subject: "Re: 第三季度计划", text: "我的部分已经写好。", messageId: "reply-2@example.org", inReplyTo: "reply-1@example.org", references: ["first@example.org", "reply-1@example.org"], threadId: first });
    const other = await post({ from: "chen@example.org", subject: "Lunch on Friday", text: "Anyone for 100% dumplings? Room_2 at noon.", messageId: "lunch@example.org" });
    await post({ from: "stranger@example.net", subject: "季度报告 offer", text: "Buy now", messageId: "spam@example.net", status: "held", reason: "not a member" });

    const archive = await consoleArchive(ctx, group.id);
    const thread = await readThread(archive, first);
    expect(thread.map((one) => [one.fromAddress, one.subject])).toEqual([
      ["wang@example.org", "第三季度计划"],
      ["li@example.org", "Re: 第三季度计划"],
      ["zhao@example.org", "Re: 第三季度计划"],
    ]);
    expect(thread[0]!.fromName).toBe("王小明");
    expect((await readPost(archive, reply)).bodyText).toBe("收到，我周四交。");

    // Newest activity first: the lunch thread came after the third post of the plan.
    const all = await listThreads(archive);
    const plan = all.threads.find((one) => one.threadId === first)!;
    expect(plan).toMatchObject({ subject: "第三季度计划", fromAddress: "wang@example.org", fromName: "王小明", posts: 3 });
    expect(all.threads[0]!.subject).toBe("季度报告 offer");
    expect(all.threads.map((one) => one.threadId)).toContain(other);

    // Search: the body's Chinese word finds the plan (and, in the console, the held post with it in its subject), not the lunch.
    const found = await listThreads(archive, { query: "季度报告" });
    expect(found.threads.map((one) => one.subject).sort()).toEqual(["季度报告 offer", "第三季度计划"]);
    expect((await listThreads(archive, { query: "周四交" })).threads.map((one) => one.threadId)).toEqual([first]);
    expect((await listThreads(archive, { query: "DUMPLINGS" })).threads.map((one) => one.threadId)).toEqual([other]);

    // % and _ are matched as written, not as LIKE's wildcards.
    expect((await listThreads(archive, { query: "100%" })).threads.map((one) => one.threadId)).toEqual([other]);
    expect((await listThreads(archive, { query: "100% d" })).threads.map((one) => one.threadId)).toEqual([other]);
    expect((await listThreads(archive, { query: "%" })).threads.map((one) => one.threadId)).toEqual([other]);
    expect((await listThreads(archive, { query: "_" })).threads.map((one) => one.threadId)).toEqual([other]);
    expect((await listThreads(archive, { query: "o_m" })).threads).toEqual([]);
    expect((await listThreads(archive, { query: "\\" })).threads).toEqual([]);
    expect(likePattern("a%b_c\\d")).toBe("%a\\%b\\_c\\\\d%");

    // The held post waits in the moderation queue.
    expect((await heldPosts(archive)).posts.map((one) => one.fromAddress)).toEqual(["stranger@example.net"]);

    // The attachment comes back with its bytes and safe headers.
    const file = await attachment(archive, first, 0);
    expect(file.fileName).toBe("计划 草稿.pdf");
    expect(Buffer.compare(file.content, pdf)).toBe(0);
    const response = attachmentResponse(file);
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="__ __.pdf"; filename*=UTF-8''${encodeURIComponent("计划 草稿.pdf")}`);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'");
    expect(Buffer.compare(Buffer.from(await response.arrayBuffer()), pdf)).toBe(0);
    expect(await rejection(attachment(archive, first, 1), AppError)).toMatchObject({ code: "not_found" });
    expect(await rejection(attachment(archive, reply, 0), AppError)).toMatchObject({ code: "not_found" });
  });

  it("pages threads twenty at a time", async () => {
    const { ctx, post, group } = await setup();
    for (let index = 0; index < 21; index++) await post({ from: "a@example.org", subject: `话题 ${index}`, text: "正文", messageId: `t${index}@example.org` });
    const archive = await consoleArchive(ctx, group.id);
    const first = await listThreads(archive, { page: 1 });
    const second = await listThreads(archive, { page: 2 });
    expect([first.threads.length, first.hasMore, second.threads.length, second.hasMore]).toEqual([20, true, 1, false]);
    expect(second.threads[0]!.subject).toBe("话题 0");
  });

  it("opens for an active member by the signed link, shows only posts sent on, and closes when they leave, unsubscribe or the link is forged", async () => {
    const { ctx, post, group, pool, deptId } = await setup();
    await addContact(ctx, pool.id, { email: "member@example.org", name: "Member", attributes: [] });
    await addContact(ctx, pool.id, { email: "leaver@example.org", name: "Leaver", attributes: [] });
    const sent = await post({ from: "member@example.org", subject: "会议纪要", text: "请查收季度报告。", messageId: "minutes@example.org" });
    await post({ from: "x@example.net", subject: "待审核", text: "held", messageId: "held@example.net", status: "held" });
    const rejected = await post({ from: "y@example.net", subject: "已拒绝", text: "rejected", messageId: "rejected@example.net", status: "rejected" });

    const link = archiveLink(group.id, "Member@Example.org");
    expect(link).toMatch(/^\/g\/[\w-]+\.[\w-]+$/);
    const token = link.slice("/g/".length);
    const opened = (await memberArchive(db(), token))!;
    expect(opened).not.toBeNull();
    expect(opened.group).toEqual({ name: "项目组", address: group.address });
    const seen = await listThreads(opened.archive);
    expect(seen.threads.map((one) => one.threadId)).toEqual([sent]);
    expect((await listThreads(opened.archive, { query: "季度报告" })).threads.map((one) => one.threadId)).toEqual([sent]);
    expect(await rejection(readThread(opened.archive, rejected), AppError)).toMatchObject({ code: "not_found" });
    expect(await rejection(readPost(opened.archive, rejected), AppError)).toMatchObject({ code: "not_found" });
    expect(await heldPosts(opened.archive)).toEqual({ posts: [], hasMore: false });

    // Forged, altered, for another purpose, for a stranger, for a group that is not there: no access.
    const [body, signature] = token.split(".");
    expect(await memberArchive(db(), `${body}.${signature!.slice(0, -2)}xx`)).toBeNull();
    expect(await memberArchive(db(), `${Buffer.from(JSON.stringify({ g: group.id, e: "leaver@example.org" })).toString("base64url")}.${signature}`)).toBeNull();
    expect(await memberArchive(db(), signToken("subscribe-confirm", { g: group.id, e: "member@example.org" }))).toBeNull();
    expect(await memberArchive(db(), archiveLink(group.id, "stranger@example.org").slice(3))).toBeNull();
    expect(await memberArchive(db(), archiveLink(crypto.randomUUID(), "member@example.org").slice(3))).toBeNull();
    expect(await memberArchive(db(), signToken("group-archive", { g: group.id, e: "member@example.org" }, -10))).toBeNull();
    expect(await memberArchive(db(), "")).toBeNull();

    // Leaving the pool closes the leaver's link; unsubscribing from the department closes the member's.
    const leaverToken = archiveLink(group.id, "leaver@example.org").slice(3);
    expect(await memberArchive(db(), leaverToken)).not.toBeNull();
    await unsubscribe(ctx, { email: "leaver@example.org", poolId: pool.id });
    expect(await memberArchive(db(), leaverToken)).toBeNull();
    await unsubscribe(ctx, { email: "member@example.org", departmentId: deptId });
    expect(await memberArchive(db(), token)).toBeNull();
  });

  it("is read in the console only by the group's department (and those who read it)", async () => {
    const { group } = await setup();
    const stranger = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: stranger.id });
    expect(await rejection(consoleArchive({ db: db(), actor: actorFor(user, "department", stranger.id) }, group.id), AppError)).toMatchObject({ code: "forbidden" });
    const manager = await makeUser(db(), "manager", { managed: [stranger.id] });
    expect(await rejection(consoleArchive({ db: db(), actor: actorFor(manager, "manager", null, [stranger.id]) }, group.id), AppError)).toMatchObject({ code: "forbidden" });
    expect(await rejection(consoleArchive({ db: db(), actor: actorFor(user, "department", stranger.id) }, "not-a-uuid"), AppError)).toMatchObject({ code: "not_found" });
    const archive: Archive = await consoleArchive({ db: db(), actor: systemActor("test") }, group.id);
    expect(archive.sentOnly).toBe(false);
    expect(await db().select({ id: groupPosts.id }).from(groupPosts).where(eq(groupPosts.groupId, group.id))).toEqual([]);
  });
});
