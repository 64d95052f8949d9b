import "server-only";
import { randomUUID } from "node:crypto";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { simpleParser, type AddressObject } from "mailparser";
import { queryRows, type Database, type Executor } from "@/db/client";
import { groupPosts, groups, type Group } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { notifyEngine } from "@/lib/dispatch/task-changes";
import { AppError } from "@/lib/errors";
import { isAutomatic } from "@/lib/feedback/bounce/kind";
import { MAX_HEADER_BLOCK_CHARS, headerValue, parseHeaderBlock, splitHeadBody, toBinaryString } from "@/lib/feedback/bounce/mime";
import { htmlToText } from "@/lib/templates";
import { oneLine } from "@/lib/templates/render";
import { isActiveMember } from "./archive-access";
import { mustRewriteFrom, type TxtResolver } from "./dmarc";
import { listIdOf } from "./list-headers";
import { queueGroupPost, recordPostDecision, type QueuedPost } from "./send";

/*
 * Mail to a group address, as the SMTP entrance hands it over (no AUTH: anyone may write to a
 * group; the group's posting rule decides). In order:
 *   - a message carrying the group's own List-Id or X-Loop, or sent by a machine (Auto-Submitted,
 *     Precedence, an out-of-office, a bounce with the empty sender), is taken and dropped: a loop
 *     or an auto-reply never goes round the group;
 *   - the poster is the header From. An allowed poster (per `posting`: an active member, a
 *     moderator, or a sender a moderator chose to always allow) is sent on at once; anyone else's
 *     post is held for a moderator, or refused with 550 when the group refuses strangers;
 *   - every post taken is archived as received, in its thread (In-Reply-To / References), and
 *     sending it on (send.ts) happens in the same transaction, before the 250, like a submission.
 * The same Message-ID twice (a server retrying after a lost 250) is one post.
 */

export type GroupPostOutcome =
  | { outcome: "sent"; postId: string; taskId: string; recipients: number }
  | { outcome: "held"; postId: string; reason: HeldReason }
  | { outcome: "duplicate" | "loop" | "automatic" }
  /** Not taken: the entrance answers `status` with `text` (which starts with the enhanced status code). */
  | { outcome: "refused"; status: 550 | 452; text: string };

/** Why a post waits for a moderator (the console words each). */
export type HeldReason = "not_member" | "moderators_only" | "moderated";

/** Characters of a post's text kept for reading and search. */
const BODY_TEXT_MAX = 200_000;

/** The enabled group with this address, if any: what RCPT TO asks before it takes mail for it. */
export async function groupOfAddress(db: Executor, address: string): Promise<Group | null> {
  const checked = normalizeAddress(address);
  if (!checked.ok) return null;
  const [group] = await db.select().from(groups).where(and(eq(groups.address, checked.email.toLowerCase()), eq(groups.enabled, true)));
  return group ?? null;
}

export type GroupMail = { address: string; raw: Buffer; envelopeFrom: string; clientIp: string };

export async function receiveGroupPost(db: Database, mail: GroupMail, resolver: TxtResolver): Promise<GroupPostOutcome> {
  const group = await groupOfAddress(db, mail.address);
  if (!group) return refused(550, `5.1.1 <${mail.address}>: no such group`);
  const headers = parseHeaderBlock(splitHeadBody(toBinaryString(mail.raw, MAX_HEADER_BLOCK_CHARS)).head);
  const ownListId = listIdOf(group.address);
  if ((headerValue(headers, "list-id") ?? "").toLowerCase().includes(`<${ownListId}>`)) return { outcome: "loop" };
  if ((headers.get("x-loop") ?? []).some((value) => value.toLowerCase().includes(group.address))) return { outcome: "loop" };
  if (mail.envelopeFrom === "" || isAutomatic(headers)) return { outcome: "automatic" };

  const parsed = await simpleParser(mail.raw, { skipImageLinks: true, checksumAlgo: false });
  const from = firstAddress(parsed.from);
  const poster = from ? normalizeAddress(from.address) : null;
  if (!from || !poster?.ok) return refused(550, "5.6.0 The message has no usable From address");
  const posterEmail = poster.email;
  const held = await heldReason(db, group, posterEmail);
  if (held && group.strangers === "refuse" && group.posting !== "anyone") {
    return refused(550, `5.7.1 <${posterEmail}> may not post to <${group.address}>: ${held === "not_member" ? "only its members may" : "only its moderators may"}`);
  }
  const messageId = bare(parsed.messageId) || `${randomUUID()}@${group.address.split("@")[1]}`;
  const references = [parsed.inReplyTo, ...[parsed.references ?? []].flat()].map(bare).filter((id): id is string => Boolean(id)).slice(-50);
  const text = parsed.text?.trim() || (typeof parsed.html === "string" ? htmlToText(parsed.html) : "");
  const fromRewritten = await mustRewriteFrom(posterEmail, resolver);
  const post = {
    id: randomUUID(),
    subject: oneLine(parsed.subject ?? "").slice(0, 500),
    fromAddress: posterEmail,
    fromName: oneLine(from.name).slice(0, 200),
    clientIp: mail.clientIp,
  };

  const actor = { ...systemActor(`group ${group.address}`), ip: mail.clientIp };
  let recorded: { kind: "duplicate" } | { kind: "held" } | { kind: "sent"; queued: QueuedPost };
  try {
    recorded = await db.transaction(async (tx) => {
      const [parent] = references.length
        ? await tx
            .select({ threadId: groupPosts.threadId })
            .from(groupPosts)
            .where(and(eq(groupPosts.groupId, group.id), inArray(groupPosts.messageId, references)))
            .orderBy(asc(groupPosts.receivedAt))
            .limit(1)
        : [];
      const rows = await queryRows<{ id: string }>(
        tx,
        sql`insert into group_posts (id, group_id, department_id, thread_id, message_id, in_reply_to, subject, from_address, from_name, from_rewritten,
                                     body_text, attachments, raw, size, status, reason, client_ip)
            values (${post.id}, ${group.id}, ${group.departmentId}, ${parent?.threadId ?? post.id}, ${messageId}, ${bare(parsed.inReplyTo) || null}, ${post.subject},
                    ${post.fromAddress}, ${post.fromName}, ${fromRewritten}, ${text.slice(0, BODY_TEXT_MAX)},
                    ${JSON.stringify(parsed.attachments.map((file) => ({ fileName: file.filename ?? "", contentType: file.contentType, size: file.size })))}::jsonb,
                    ${mail.raw}, ${mail.raw.length}, 'held', ${held ?? ""}, ${mail.clientIp})
            on conflict (group_id, message_id) do nothing
            returning id`,
      );
      if (rows.length === 0) return { kind: "duplicate" as const };
      if (!held) return { kind: "sent" as const, queued: await queueGroupPost(tx, group, post, actor) };
      await recordPostDecision(tx, actor, "group.hold", post, group, { reason: held });
      return { kind: "held" as const };
    });
  } catch (error) {
    if (error instanceof AppError && error.code === "quota_exceeded") return refused(452, "4.2.2 Quota exhausted: the group's department cannot send this post to its members now; try again later");
    throw error;
  }
  if (recorded.kind === "duplicate") return { outcome: "duplicate" };
  if (recorded.kind === "held") return { outcome: "held", postId: post.id, reason: held! };
  const { queued } = recorded;
  // The database is the truth from here: a lost nudge costs a runner tick or a reconciler round, not the post.
  await notifyEngine("scheduled", { id: queued.taskId, scheduledAt: queued.scheduledAt }).catch(() => undefined);
  return { outcome: "sent", postId: post.id, taskId: queued.taskId, recipients: queued.queued };
}

function refused(status: 550 | 452, text: string): GroupPostOutcome {
  return { outcome: "refused", status, text };
}

/** Null when the poster may post without a moderator (a member counts when active and not suppressed, as for reading the archive); else why the post is held. */
async function heldReason(db: Executor, group: Group, poster: string): Promise<HeldReason | null> {
  if (group.moderators.includes(poster) || group.allowedPosters.includes(poster)) return null;
  if (group.posting === "anyone") return "moderated";
  if (group.posting === "moderators") return "moderators_only";
  return (await isActiveMember(db, group, poster)) ? null : "not_member";
}

function firstAddress(header: AddressObject | AddressObject[] | undefined): { address: string; name: string } | null {
  const entry = [header ?? []].flat().flatMap((object) => object.value)[0];
  return entry?.address ? { address: entry.address, name: entry.name ?? "" } : null;
}

/** A Message-ID without its angle brackets, lower-cased hosts and all, at most 250 characters. */
function bare(id: string | undefined): string {
  return (id ?? "").trim().replace(/^<|>$/g, "").slice(0, 250);
}

