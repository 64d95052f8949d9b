import "server-only";
import { and, eq } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { groupPosts, groups } from "@/db/schema";
import { groupHeaders, memberHeaders } from "@/lib/groups/list-headers";
import type { Content } from "./context";
import { SUBMISSION_UNUSABLE, parseSubmittedMessage, verbatimTemplate, type SubmittedMessage } from "./submitted";

/**
 * A `group` task's message: the post as its poster wrote it (parsed as a submitted message is),
 * sent with the post's own Message-ID, In-Reply-To and References so members' mail programs thread
 * it, the list headers, and a Reply-To per the group (the group, or the poster). It is From the
 * poster, unless the poster's domain publishes a DMARC policy that would have receivers refuse or
 * quarantine a copy From them that we sign (decided at intake: `fromRewritten`); then From the
 * group's address, named "Poster via Group".
 */
export async function groupPostContent(db: Executor, taskId: string, departmentId: string): Promise<Content> {
  const [row] = await db
    .select({
      raw: groupPosts.raw,
      messageId: groupPosts.messageId,
      fromAddress: groupPosts.fromAddress,
      fromName: groupPosts.fromName,
      fromRewritten: groupPosts.fromRewritten,
      groupId: groups.id,
      address: groups.address,
      name: groups.name,
      replyTo: groups.replyTo,
    })
    .from(groupPosts)
    .innerJoin(groups, eq(groups.id, groupPosts.groupId))
    .where(and(eq(groupPosts.taskId, taskId), eq(groupPosts.departmentId, departmentId)));
  if (!row) throw new Error(`Task ${taskId} has no ${SUBMISSION_UNUSABLE}`);
  const message = await parseSubmittedMessage(row.raw);
  const group = { id: row.groupId, address: row.address, name: row.name };
  const poster = row.fromName || row.fromAddress;
  const from = row.fromRewritten ? { address: row.address, name: `${poster} via ${row.name || row.address}` } : { address: row.fromAddress, ...(row.fromName ? { name: row.fromName } : {}) };
  const threading = threadingHeaders(message);
  return {
    template: verbatimTemplate(taskId, message),
    attachments: message.attachments,
    replyTo: row.replyTo === "group" ? row.address : (message.replyTo ?? row.fromAddress),
    fromName: "",
    bytes: 2 * message.size,
    group: { from, messageId: `<${row.messageId}>`, headers: { ...groupHeaders(group), ...threading }, recipientHeaders: (email) => memberHeaders(group, email) },
  };
}

/** In-Reply-To and References as the poster sent them (well-formed ids only, the last 30 references). */
function threadingHeaders(message: Pick<SubmittedMessage, "inReplyTo" | "references">): Record<string, string> {
  const ids = (values: string[]) => values.filter((id) => /^<[^<>\s]{1,250}>$/.test(id));
  const headers: Record<string, string> = {};
  const inReplyTo = ids(message.inReplyTo ? [message.inReplyTo] : []);
  const references = ids(message.references).slice(-30);
  if (inReplyTo.length) headers["In-Reply-To"] = inReplyTo.join(" ");
  if (references.length) headers.References = references.join(" ");
  return headers;
}
