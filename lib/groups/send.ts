import "server-only";
import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { groupPosts, tasks } from "@/db/schema";
import { reserveQuota } from "@/lib/accounts/quota";
import type { Actor } from "@/lib/access/actor";
import { suppressionMatches } from "@/lib/addresses/erased";
import { recordAudit } from "@/lib/audit/record";
import { readEnv } from "@/lib/config/env";

/** What sending a post on needs of its group. */
export type GroupForSending = { id: string; departmentId: string; poolId: string; address: string; senderId: string };
/** …and of the post. */
export type PostForSending = { id: string; subject: string; fromAddress: string; fromName: string; clientIp: string };

export type QueuedPost = { taskId: string; scheduledAt: Date; total: number; queued: number };

/**
 * Turns an accepted post into work for the engine, inside the caller's transaction (the entrance's
 * before its 250, or a moderator's approval): a task of kind `group` whose deliveries are the
 * pool's active members but the poster, each once, suppressed addresses written as suppressed (as
 * materialisation does), numbered into the engine's batches; the quota of those to send reserved
 * (throws `quota_exceeded` when it does not fit, and then nothing is written). The task's message is
 * the post itself (lib/sending/context.ts reads it from group_posts by task). The caller tells
 * the engine once the transaction has committed.
 */
export async function queueGroupPost(tx: Executor, group: GroupForSending, post: PostForSending, actor: Actor): Promise<QueuedPost> {
  const taskId = randomUUID();
  const scheduledAt = new Date();
  await tx.insert(tasks).values({
    id: taskId,
    departmentId: group.departmentId,
    name: (post.subject || group.address).slice(0, 200),
    kind: "group",
    templateId: null,
    templateVersion: 0,
    poolIds: [group.poolId],
    senderId: group.senderId,
    fromName: post.fromName.slice(0, 200),
    // A discussion is not a campaign: no pixel, no rewritten links in what members wrote.
    tracking: false,
    status: "scheduled",
    scheduledAt,
    materializeCursor: null,
    createdBy: actor.label,
    clientIp: post.clientIp,
  });
  const { batchSize } = readEnv().sending;
  const [counts] = await queryRows<{ total: number; queued: number }>(
    tx,
    sql`with members as (
          select c.id, c.email from pool_members pm join contacts c on c.id = pm.contact_id
          where pm.pool_id = ${group.poolId} and c.department_id = ${group.departmentId} and c.status = 'active' and c.email <> ${post.fromAddress}
        ),
        given as (
          select m.id, m.email, s.reason from members m
          left join lateral (select s.reason from suppressions s where s.department_id = ${group.departmentId} and ${suppressionMatches(sql`s.email`, sql`m.email`)} limit 1) s on true
        ),
        numbered as (
          select id, email, reason,
                 case when reason is null then ((row_number() over (partition by reason is null order by id) - 1) / ${batchSize}::int)::int else -1 end as batch_no
          from given
        ),
        written as (
          insert into deliveries (task_id, department_id, contact_id, email, status, batch_no, error)
          select ${taskId}::uuid, ${group.departmentId}::uuid, id, email, case when reason is null then 'queued' else 'suppressed' end, batch_no,
                 case when reason is null then null else 'Suppressed (' || replace(reason, '_', ' ') || ')' end
          from numbered
          returning status
        )
        select count(*)::int as total, (count(*) filter (where status = 'queued'))::int as queued from written`,
  );
  const total = counts?.total ?? 0;
  const queued = counts?.queued ?? 0;
  await reserveQuota(tx, group.departmentId, queued);
  await tx.execute(sql`update tasks set total = ${total}, queued = ${queued}, suppressed = ${total - queued}, reserved = ${queued} where id = ${taskId}`);
  await tx.update(groupPosts).set({ status: "sent", taskId }).where(eq(groupPosts.id, post.id));
  await recordAudit(tx, actor, {
    action: "group.post",
    objectType: "task",
    objectId: taskId,
    departmentId: group.departmentId,
    summary: { key: "group.post", params: { subject: post.subject, from: post.fromAddress, recipients: queued, address: group.address } },
    details: { groupId: group.id, postId: post.id, recipients: total, suppressed: total - queued },
  });
  return { taskId, scheduledAt, total, queued };
}

/** The operation-log row of a decision on a post: held at intake, approved or rejected by a moderator. */
export async function recordPostDecision(
  tx: Executor,
  actor: Actor,
  action: "group.hold" | "group.approve" | "group.reject",
  post: { id: string; subject: string; fromAddress: string },
  group: { id: string; departmentId: string; address: string },
  details: Record<string, unknown>,
): Promise<void> {
  await recordAudit(tx, actor, {
    action,
    objectType: "groupPost",
    objectId: post.id,
    departmentId: group.departmentId,
    summary: { key: action, params: { subject: post.subject, from: post.fromAddress, address: group.address } },
    details: { groupId: group.id, ...details },
  });
}
