import "server-only";
import { and, eq } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { messages, senderDomains, senders, tasks, templateVersions } from "@/db/schema";
import { dkimKeyFor } from "@/lib/senders/domains";
import { loadAttachments } from "@/lib/templates/attachments";
import { compileTemplate } from "@/lib/templates/compile";
import type { CompiledTemplate } from "@/lib/templates/render";
import type { MessagingChannel } from "@/lib/channels/types";
import { loadChannelContext } from "./channel";
import { loadSubmittedMessage, verbatimTemplate } from "./submitted";
import { groupPostContent } from "./group-content";

/** Everything a batch of one task needs besides its recipients, loaded once per process. */
export type SendContext = {
  taskId: string;
  departmentId: string;
  clientIp: string;
  /** Rendered per recipient: the task's template, or for an `smtp` task the submitted message as written (no Liquid). */
  template: CompiledTemplate;
  from: { address: string; name?: string };
  senderDomain: string;
  dkim: { domainName: string; keySelector: string; privateKey: string } | null;
  /** A `cid` marks an inline part the HTML shows by `cid:` (a submitted message's embedded images). */
  attachments: { fileName: string; contentType: string; content: Buffer; cid?: string }[];
  /** The submitted message's own Reply-To, for an `smtp` task that had one. */
  replyTo?: string;
  /** The task collects replies: each message's Reply-To is its delivery's `reply+<token>@…` (lib/feedback/replies.ts). */
  replyTracking?: boolean;
  /** A `group` task (a post sent on to a group's members): the post's Message-ID for every copy, and the list headers. */
  messageId?: string;
  headers?: Record<string, string>;
  recipientHeaders?: (email: string) => Record<string, string>;
  /** Open pixel and click-tracked links in the HTML part: the task's `tracking`; absent means on, the task default. */
  tracking?: boolean;
  /** A `message` task's recipients by address: the name and data each was sent with (the request's shared data under its own). */
  recipientData?: ReadonlyMap<string, { name: string; data: Record<string, unknown> }>;
  /**
   * An A/B test's variants (0 = A), each a whole context: a test row is sent its variant's; a row
   * without one (the rest) is sent this context, which is the chosen variant's once there is one.
   */
  variants?: SendContext[];
};

/** The context a recipient of an A/B test's share is sent with (its variant's), else the task's. */
export function contextOfVariant(context: SendContext, variant: number | null): SendContext {
  return variant === null ? context : (context.variants?.[variant] ?? context);
}

/** Everything a batch of a task on a messaging channel (SMS, WhatsApp) needs besides its recipients. */
export type ChannelSendContext = {
  channel: MessagingChannel;
  taskId: string;
  departmentId: string;
  clientIp: string;
  /** The template version's `text` is the message; subject and HTML are empty. */
  template: CompiledTemplate;
  /** Append the opt-out sentence (the company's `smsOptOutSuffix`; SMS only). */
  optOutSuffix: boolean;
  /** WhatsApp: the approved template each recipient is sent, its variables compiled; null when the version has free text only. */
  whatsapp?: { name: string; language: string; variables: CompiledTemplate[] } | null;
};

export type TaskSendContext = SendContext | ChannelSendContext;

export function isChannelContext(context: TaskSendContext): context is ChannelSendContext {
  return "channel" in context;
}

/** At most this many contexts, and at most this many bytes of attachments and messages held by them. */
const CACHE_LIMIT = 50;
const CACHE_BYTES = 256 * 1024 * 1024;
type Entry = { context: Promise<TaskSendContext>; bytes: number };
const cache = new Map<string, Entry>();

/**
 * The send context of a task, cached by task, template version and sender: a task's template
 * version and sender change only while it is scheduled, so a running task always hits. An `smtp`
 * task's message never changes; it is read from smtp_submissions and parsed once.
 */
export async function sendContextFor(db: Executor, taskId: string): Promise<SendContext> {
  const context = await taskContextFor(db, taskId);
  if (isChannelContext(context)) throw new Error(`Task ${taskId} sends over ${context.channel}, not e-mail`);
  return context;
}

/** The send context of a task on any channel (cached as sendContextFor's). */
export async function taskContextFor(db: Executor, taskId: string): Promise<TaskSendContext> {
  const [task] = await db
    .select({ version: tasks.templateVersion, senderId: tasks.senderId, fromName: tasks.fromName, templateId: tasks.templateId, tracking: tasks.tracking, channel: tasks.channel, abPhase: tasks.abPhase })
    .from(tasks)
    .where(eq(tasks.id, taskId));
  if (!task) throw new Error(`Task ${taskId} does not exist`);
  // An A/B test's phase too: once the winner is chosen the rest are sent its variant.
  const key = `${taskId}:${task.templateId}:${task.version}:${task.senderId}:${task.fromName}:${task.tracking}:${task.abPhase}`;
  const entry = cache.get(key);
  if (entry) {
    // Most recently used last: eviction takes the oldest first.
    cache.delete(key);
    cache.set(key, entry);
    return entry.context;
  }
  const loading: Promise<{ context: TaskSendContext; bytes: number }> = task.channel === "email" ? loadSendContext(db, taskId) : loadChannelContext(db, taskId, task.channel);
  const created: Entry = { context: loading.then(({ context }) => context), bytes: 0 };
  cache.set(key, created);
  loading.then(
    ({ bytes }) => {
      created.bytes = bytes;
      trimCache();
    },
    () => {
      if (cache.get(key) === created) cache.delete(key);
    },
  );
  trimCache();
  return created.context;
}

/** Drops the least recently used contexts beyond the limits, never the newest one. */
function trimCache() {
  let bytes = 0;
  for (const entry of cache.values()) bytes += entry.bytes;
  for (const [key, entry] of cache) {
    if (cache.size <= 1 || (cache.size <= CACHE_LIMIT && bytes <= CACHE_BYTES)) return;
    cache.delete(key);
    bytes -= entry.bytes;
  }
}

/** The context and about how many bytes it holds (attachments, a submitted message). */
async function loadSendContext(db: Executor, taskId: string): Promise<{ context: SendContext; bytes: number }> {
  const [row] = await db
    .select({
      departmentId: tasks.departmentId,
      clientIp: tasks.clientIp,
      tracking: tasks.tracking,
      replyTracking: tasks.replyTracking,
      fromName: tasks.fromName,
      kind: tasks.kind,
      templateId: tasks.templateId,
      version: tasks.templateVersion,
      subject: tasks.subject,
      abTest: tasks.abTest,
      abDecision: tasks.abDecision,
      address: senders.address,
      senderName: senders.name,
      domainId: senders.domainId,
      domain: senderDomains.domain,
    })
    .from(tasks)
    .innerJoin(senders, eq(senders.id, tasks.senderId))
    .innerJoin(senderDomains, eq(senderDomains.id, senders.domainId))
    .where(eq(tasks.id, taskId));
  if (!row) throw new Error(`Task ${taskId} has no template version or sender`);
  const dkim = await dkimKeyFor(db, row.domainId);
  const contextOf = (content: Content, fromName: string): SendContext => {
    const name = content.fromName || fromName || row.senderName;
    const group = content.group;
    return {
      taskId,
      departmentId: row.departmentId,
      clientIp: row.clientIp,
      template: content.template,
      from: group?.from ?? { address: row.address, ...(name ? { name } : {}) },
      senderDomain: row.domain.toLowerCase(),
      dkim,
      attachments: content.attachments,
      ...(content.replyTo ? { replyTo: content.replyTo } : {}),
      ...(row.replyTracking ? { replyTracking: true } : {}),
      tracking: row.tracking,
      ...(content.recipientData ? { recipientData: content.recipientData } : {}),
      ...(group ? { messageId: group.messageId, headers: group.headers, recipientHeaders: group.recipientHeaders } : {}),
    };
  };
  if (row.kind === "campaign" && row.abTest) {
    const variants = await Promise.all(
      row.abTest.variants.map(async (variant, index) => {
        const content = await templateContent(db, taskId, { ...row, version: variant.templateVersion ?? row.version, subject: variant.subject ?? row.subject }, index);
        return { context: contextOf(content, variant.fromName || row.fromName), bytes: content.bytes };
      }),
    );
    const contexts = variants.map((variant) => variant.context);
    const rest = contexts[row.abDecision?.chosen ?? 0] ?? contexts[0]!;
    return { context: { ...rest, variants: contexts }, bytes: variants.reduce((sum, variant) => sum + variant.bytes, 0) };
  }
  const content =
    row.kind === "smtp"
      ? await submittedContent(db, taskId, row.departmentId)
      : row.kind === "group"
        ? await groupPostContent(db, taskId, row.departmentId)
        : row.kind === "message"
          ? await messageContent(db, taskId, row)
          : await templateContent(db, taskId, row);
  return { context: contextOf(content, row.fromName), bytes: content.bytes };
}

export type Content = Pick<SendContext, "template" | "attachments" | "replyTo" | "recipientData"> & {
  fromName: string;
  bytes: number;
  /** A group post's From (the poster's, or the group's on their behalf), Message-ID and list headers. */
  group?: { from: SendContext["from"]; messageId: string; headers: Record<string, string>; recipientHeaders: (email: string) => Record<string, string> };
};

/** A campaign's frozen template version (an A/B variant's: `variant`), compiled, and the files it attaches. */
async function templateContent(
  db: Executor,
  taskId: string,
  task: { departmentId: string; templateId: string | null; version: number; subject: string | null },
  variant?: number,
): Promise<Content> {
  const [version] = task.templateId
    ? await db
        .select({ subject: templateVersions.subject, html: templateVersions.html, text: templateVersions.text, attachmentIds: templateVersions.attachmentIds })
        .from(templateVersions)
        .where(and(eq(templateVersions.templateId, task.templateId), eq(templateVersions.version, task.version)))
    : [];
  if (!version) throw new Error(`Task ${taskId} has no template version or sender`);
  const attachments = await loadAttachments(db, task.departmentId, version.attachmentIds);
  return {
    // A task's own subject (a follow-up's) is compiled apart from the version's, so neither evicts the other from the cache.
    template: task.subject === null
      ? compileTemplate({ id: task.templateId!, version: task.version, subject: version.subject, html: version.html, text: version.text })
      : compileTemplate({ id: `${task.templateId!}/task:${taskId}${variant === undefined ? "" : `/${variant}`}`, version: task.version, subject: task.subject, html: version.html, text: version.text }),
    attachments,
    fromName: "",
    bytes: attachments.reduce((sum, attachment) => sum + attachment.content.byteLength, 0),
  };
}

/** An `smtp` task's message as the client wrote it; its From display name wins over the task's. */
async function submittedContent(db: Executor, taskId: string, departmentId: string): Promise<Content> {
  const message = await loadSubmittedMessage(db, taskId, departmentId);
  // The parsed parts together are about twice the message's size (decoded attachments, HTML and text as strings).
  return { template: verbatimTemplate(taskId, message), attachments: message.attachments, replyTo: message.replyTo, fromName: message.fromName, bytes: 2 * message.size };
}

/** A `message` task's template version (or the request's inline content) and each recipient's name and data. */
async function messageContent(db: Executor, taskId: string, task: { departmentId: string; templateId: string | null; version: number; subject: string | null }): Promise<Content> {
  const [message] = await db
    .select({ subject: messages.subject, html: messages.html, text: messages.text, data: messages.data, recipients: messages.recipients })
    .from(messages)
    .where(and(eq(messages.taskId, taskId), eq(messages.departmentId, task.departmentId)));
  if (!message) throw new Error(`Task ${taskId} has no template version or sender`);
  const content: Content = task.templateId
    ? await templateContent(db, taskId, task)
    : { template: compileTemplate({ id: taskId, version: 0, subject: message.subject ?? "", html: message.html ?? "", text: message.text }), attachments: [], fromName: "", bytes: 0 };
  const recipientData = new Map(
    Object.entries(message.recipients).map(([email, own]) => [email, { name: own.name ?? "", data: { ...message.data, ...own.data } }] as const),
  );
  const bytes = (message.html?.length ?? 0) + JSON.stringify(message.recipients).length;
  return { ...content, recipientData, bytes: content.bytes + bytes };
}
