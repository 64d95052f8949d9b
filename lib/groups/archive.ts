import "server-only";
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { queryRows, type Executor } from "@/db/client";
import { groupPosts, groups, type GroupPostStatus } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize } from "@/lib/access/policy";
import { notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";

/*
 * The archive of a group (decision 0098): every post it took, listed by thread (thread_id is the
 * conversation's first post, set by intake.ts from In-Reply-To / References), searched over
 * subject and text, each post read as text and its attachments taken from the MIME kept as
 * received. Two readers open it: the department in the console (every post, with its status) and
 * a member behind a signed link (archive-access.ts: posts sent on, nothing else).
 */

/** An opened archive: which group, and whether only posts sent on to the members show. */
export type Archive = { db: Executor; groupId: string; departmentId: string; sentOnly: boolean };

export const ARCHIVE_PAGE_SIZE = 20;

/** The department's archive of a group, for the console: every post, whatever its status (tasks.view on the group's department). */
export async function consoleArchive(ctx: Ctx, groupId: string): Promise<Archive> {
  authorize(ctx.actor, "tasks.view");
  if (!isUuid(groupId)) throw notFound("group");
  const [group] = await ctx.db.select({ departmentId: groups.departmentId }).from(groups).where(eq(groups.id, groupId));
  if (!group) throw notFound("group");
  authorize(ctx.actor, "tasks.view", { departmentId: group.departmentId });
  return { db: ctx.db, groupId, departmentId: group.departmentId, sentOnly: false };
}

/** The text typed into a search as a LIKE pattern that matches it literally anywhere, lower case. */
export function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

const visible = (archive: Archive): SQL => (archive.sentOnly ? sql`status = 'sent'` : sql`true`);

export type ThreadRow = {
  threadId: string;
  subject: string;
  fromName: string;
  fromAddress: string;
  posts: number;
  held: number;
  lastAt: Date;
};

/**
 * One page of threads, newest activity first: the subject and poster of the thread's first post the
 * reader may see, how many posts it has and when the last came. With `query`, threads with a post
 * whose subject or text holds it (any case, any script: the trigram index over the same expression
 * serves it). `hasMore` says whether a next page exists.
 */
export async function listThreads(archive: Archive, options: { page?: number; query?: string } = {}): Promise<{ threads: ThreadRow[]; hasMore: boolean }> {
  const page = Math.max(1, Math.floor(options.page ?? 1));
  const query = (options.query ?? "").trim().slice(0, 200);
  const matches = query ? sql`and bool_or(lower(subject || ' ' || body_text) like ${likePattern(query)} escape '\\')` : sql``;
  const rows = await queryRows<{ thread_id: string; subject: string; from_name: string; from_address: string; posts: number; held: number; last_at: string | Date }>(
    archive.db,
    sql`select thread_id,
               (array_agg(subject order by received_at, id))[1] as subject,
               (array_agg(from_name order by received_at, id))[1] as from_name,
               (array_agg(from_address order by received_at, id))[1] as from_address,
               count(*)::int as posts,
               count(*) filter (where status = 'held')::int as held,
               max(received_at) as last_at
        from ${groupPosts}
        where group_id = ${archive.groupId} and ${visible(archive)}
        group by thread_id
        having true ${matches}
        order by max(received_at) desc, thread_id desc
        limit ${ARCHIVE_PAGE_SIZE + 1} offset ${(page - 1) * ARCHIVE_PAGE_SIZE}`,
  );
  const threads = rows.slice(0, ARCHIVE_PAGE_SIZE).map((row) => ({
    threadId: row.thread_id,
    subject: row.subject,
    fromName: row.from_name,
    fromAddress: row.from_address,
    posts: Number(row.posts),
    held: Number(row.held),
    lastAt: new Date(row.last_at),
  }));
  return { threads, hasMore: rows.length > ARCHIVE_PAGE_SIZE };
}

const postColumns = {
  id: groupPosts.id,
  threadId: groupPosts.threadId,
  subject: groupPosts.subject,
  fromName: groupPosts.fromName,
  fromAddress: groupPosts.fromAddress,
  bodyText: groupPosts.bodyText,
  attachments: groupPosts.attachments,
  status: groupPosts.status,
  reason: groupPosts.reason,
  receivedAt: groupPosts.receivedAt,
};

export type ArchivedPost = { id: string; threadId: string; subject: string; fromName: string; fromAddress: string; bodyText: string; attachments: { fileName: string; contentType: string; size: number }[]; status: GroupPostStatus; reason: string; receivedAt: Date };

const inArchive = (archive: Archive) => and(eq(groupPosts.groupId, archive.groupId), archive.sentOnly ? eq(groupPosts.status, "sent") : undefined);

/** The posts of a thread the reader may see, oldest first; 404 when there are none. */
export async function readThread(archive: Archive, threadId: string): Promise<ArchivedPost[]> {
  if (!isUuid(threadId)) throw notFound("groupPost");
  const posts = await archive.db
    .select(postColumns)
    .from(groupPosts)
    .where(and(inArchive(archive), eq(groupPosts.threadId, threadId)))
    .orderBy(asc(groupPosts.receivedAt), asc(groupPosts.id));
  if (posts.length === 0) throw notFound("groupPost");
  return posts;
}

export async function readPost(archive: Archive, postId: string): Promise<ArchivedPost> {
  if (!isUuid(postId)) throw notFound("groupPost");
  const [post] = await archive.db.select(postColumns).from(groupPosts).where(and(inArchive(archive), eq(groupPosts.id, postId)));
  if (!post) throw notFound("groupPost");
  return post;
}

export type ArchivedAttachment = { fileName: string; contentType: string; content: Buffer };

/**
 * The `index`th attachment the post lists, read from its MIME as received. The list was made by
 * intake from the same parser, so the part at that index with that name is the one; a part found
 * only by its name is the fallback if the two ever count differently.
 */
export async function attachment(archive: Archive, postId: string, index: number): Promise<ArchivedAttachment> {
  if (!isUuid(postId) || !Number.isInteger(index) || index < 0) throw notFound("groupPost");
  const [post] = await archive.db.select({ raw: groupPosts.raw, attachments: groupPosts.attachments }).from(groupPosts).where(and(inArchive(archive), eq(groupPosts.id, postId)));
  const listed = post?.attachments[index];
  if (!post || !listed) throw notFound("groupPost");
  const parsed = await simpleParser(post.raw, { skipImageLinks: true, checksumAlgo: false, skipHtmlToText: true, skipTextToHtml: true });
  const named = (part: (typeof parsed.attachments)[number] | undefined) => part !== undefined && (part.filename ?? "") === listed.fileName;
  const part = named(parsed.attachments[index]) ? parsed.attachments[index] : parsed.attachments.find(named);
  if (!part) throw notFound("groupPost");
  return { fileName: listed.fileName, contentType: part.contentType, content: part.content };
}

export type HeldPost = { id: string; subject: string; fromName: string; fromAddress: string; reason: string; receivedAt: Date };

/** The moderation queue: posts held for a moderator, oldest first (the console's archive only). */
export async function heldPosts(archive: Archive, options: { page?: number } = {}): Promise<{ posts: HeldPost[]; hasMore: boolean }> {
  if (archive.sentOnly) return { posts: [], hasMore: false };
  const page = Math.max(1, Math.floor(options.page ?? 1));
  const rows = await archive.db
    .select({ id: groupPosts.id, subject: groupPosts.subject, fromName: groupPosts.fromName, fromAddress: groupPosts.fromAddress, reason: groupPosts.reason, receivedAt: groupPosts.receivedAt })
    .from(groupPosts)
    .where(and(eq(groupPosts.groupId, archive.groupId), eq(groupPosts.status, "held")))
    .orderBy(asc(groupPosts.receivedAt), asc(groupPosts.id))
    .limit(ARCHIVE_PAGE_SIZE + 1)
    .offset((page - 1) * ARCHIVE_PAGE_SIZE);
  return { posts: rows.slice(0, ARCHIVE_PAGE_SIZE), hasMore: rows.length > ARCHIVE_PAGE_SIZE };
}
