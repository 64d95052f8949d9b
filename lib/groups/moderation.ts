import "server-only";
import { eq, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { groupPosts, groups, type Group, type GroupPost } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize } from "@/lib/access/policy";
import { notifyEngine } from "@/lib/dispatch/task-changes";
import { conflict, invalidInput, notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
import { sendSystemMessage } from "@/lib/transports/system-mail";
import { queueGroupPost, recordPostDecision } from "./send";

/*
 * The moderation queue: a held post (intake.ts) is approved (sent on to the members, as if it had
 * been allowed when it came), rejected with a reason (the poster is told, in English and Chinese),
 * or its sender is always allowed from now on and the post approved. Each is one transaction on the
 * locked post, so two moderators pressing at once decide once; the second hears it was decided.
 */

export const REJECT_REASON_MAX = 500;

type LockedPost = Pick<GroupPost, "id" | "groupId" | "departmentId" | "subject" | "fromAddress" | "fromName" | "clientIp" | "status">;

export async function approvePost(ctx: Ctx, postId: string): Promise<{ taskId: string }> {
  return decideToSend(ctx, postId, false);
}

export async function allowPoster(ctx: Ctx, postId: string): Promise<{ taskId: string }> {
  return decideToSend(ctx, postId, true);
}

export async function rejectPost(ctx: Ctx, postId: string, reason: string): Promise<void> {
  const text = reason.trim();
  if (text.length > REJECT_REASON_MAX) throw invalidInput("groupRejectReasonTooLong", { field: "reason", params: { max: REJECT_REASON_MAX } });
  const { post, group } = await ctx.db.transaction(async (tx) => {
    const { post, group } = await lockHeldPost(ctx, tx, postId);
    await tx.execute(sql`update group_posts set status = 'rejected', reason = ${text}, decided_at = now(), decided_by = ${ctx.actor.label} where id = ${post.id}`);
    await recordPostDecision(tx, ctx.actor, "group.reject", post, group, { reason: text });
    return { post, group };
  });
  // Telling the poster is a courtesy: the decision stands if the message cannot be sent.
  await sendSystemMessage(ctx.db, {
    departmentId: post.departmentId,
    kind: "group-rejected",
    to: post.fromAddress,
    subject: `Your message to ${group.address} was not accepted / 您发往 ${group.address} 的邮件未被接受`,
    text: [
      `Your message "${post.subject}" to ${group.address} was not sent to the group by its moderator.`,
      text ? `Reason: ${text}` : "",
      "",
      `您发往 ${group.address} 的邮件“${post.subject}”未被管理员发送到群组。`,
      text ? `原因：${text}` : "",
    ]
      .filter((line, index, lines) => line !== "" || lines[index - 1] !== "")
      .join("\n"),
    html: "",
  }).catch((error: unknown) => console.error(`[fanout] could not tell ${post.fromAddress} that their group post was rejected`, error));
}

async function decideToSend(ctx: Ctx, postId: string, always: boolean): Promise<{ taskId: string }> {
  const queued = await ctx.db.transaction(async (tx) => {
    const { post, group } = await lockHeldPost(ctx, tx, postId);
    if (always && !group.allowedPosters.includes(post.fromAddress)) {
      await tx.execute(sql`update groups set allowed_posters = allowed_posters || ${JSON.stringify([post.fromAddress])}::jsonb, updated_at = now() where id = ${group.id}`);
    }
    await tx.execute(sql`update group_posts set decided_at = now(), decided_by = ${ctx.actor.label} where id = ${post.id}`);
    await recordPostDecision(tx, ctx.actor, "group.approve", post, group, { alwaysAllow: always });
    return queueGroupPost(tx, group, post, ctx.actor);
  });
  await notifyEngine("scheduled", { id: queued.taskId, scheduledAt: queued.scheduledAt }).catch(() => undefined);
  return { taskId: queued.taskId };
}

/** The post, locked, when the caller may moderate its group and it still waits; else not found, forbidden, or a conflict. */
async function lockHeldPost(ctx: Ctx, tx: Executor, postId: string): Promise<{ post: LockedPost; group: Group }> {
  authorize(ctx.actor, "pools.manage");
  if (!isUuid(postId)) throw notFound("groupPost");
  const [post] = await tx
    .select({
      id: groupPosts.id,
      groupId: groupPosts.groupId,
      departmentId: groupPosts.departmentId,
      subject: groupPosts.subject,
      fromAddress: groupPosts.fromAddress,
      fromName: groupPosts.fromName,
      clientIp: groupPosts.clientIp,
      status: groupPosts.status,
    })
    .from(groupPosts)
    .where(eq(groupPosts.id, postId))
    .for("update");
  if (!post) throw notFound("groupPost");
  authorize(ctx.actor, "pools.manage", { departmentId: post.departmentId });
  if (post.status !== "held") throw conflict("groupPostDecided", { params: { status: post.status } });
  const [group] = await tx.select().from(groups).where(eq(groups.id, post.groupId)).for("update");
  if (!group) throw notFound("groupPost");
  return { post, group };
}
