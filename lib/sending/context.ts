import "server-only";
import { and, eq } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { senderDomains, senders, tasks, templateVersions } from "@/db/schema";
import { dkimKeyFor } from "@/lib/senders/domains";
import { loadAttachments } from "@/lib/templates/attachments";
import { compileTemplate } from "@/lib/templates/compile";
import type { CompiledTemplate } from "@/lib/templates/render";

/** Everything a batch of one task needs besides its recipients, loaded once per process. */
export type SendContext = {
  taskId: string;
  departmentId: string;
  clientIp: string;
  template: CompiledTemplate;
  from: { address: string; name?: string };
  senderDomain: string;
  dkim: { domainName: string; keySelector: string; privateKey: string } | null;
  attachments: { fileName: string; contentType: string; content: Buffer }[];
  /** Open pixel and click-tracked links in the HTML part: the task's `tracking`; absent means on, the task default. */
  tracking?: boolean;
};

const CACHE_LIMIT = 50;
const cache = new Map<string, Promise<SendContext>>();

/**
 * The send context of a task, cached by task, template version and sender: a task's template
 * version and sender change only while it is scheduled, so a running task always hits.
 */
export async function sendContextFor(db: Executor, taskId: string): Promise<SendContext> {
  const [task] = await db
    .select({ version: tasks.templateVersion, senderId: tasks.senderId, fromName: tasks.fromName, templateId: tasks.templateId, tracking: tasks.tracking })
    .from(tasks)
    .where(eq(tasks.id, taskId));
  if (!task) throw new Error(`Task ${taskId} does not exist`);
  const key = `${taskId}:${task.templateId}:${task.version}:${task.senderId}:${task.fromName}:${task.tracking}`;
  let entry = cache.get(key);
  if (!entry) {
    entry = loadSendContext(db, taskId);
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
    while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  }
  return entry;
}

async function loadSendContext(db: Executor, taskId: string): Promise<SendContext> {
  const [row] = await db
    .select({
      departmentId: tasks.departmentId,
      clientIp: tasks.clientIp,
      tracking: tasks.tracking,
      fromName: tasks.fromName,
      templateId: tasks.templateId,
      version: tasks.templateVersion,
      subject: templateVersions.subject,
      html: templateVersions.html,
      text: templateVersions.text,
      attachmentIds: templateVersions.attachmentIds,
      address: senders.address,
      senderName: senders.name,
      domainId: senders.domainId,
      domain: senderDomains.domain,
    })
    .from(tasks)
    .innerJoin(templateVersions, and(eq(templateVersions.templateId, tasks.templateId), eq(templateVersions.version, tasks.templateVersion)))
    .innerJoin(senders, eq(senders.id, tasks.senderId))
    .innerJoin(senderDomains, eq(senderDomains.id, senders.domainId))
    .where(eq(tasks.id, taskId));
  if (!row) throw new Error(`Task ${taskId} has no template version or sender`);
  const name = row.fromName || row.senderName;
  return {
    taskId,
    departmentId: row.departmentId,
    clientIp: row.clientIp,
    template: compileTemplate({ id: row.templateId ?? "", version: row.version, subject: row.subject, html: row.html, text: row.text }),
    from: { address: row.address, ...(name ? { name } : {}) },
    senderDomain: row.domain.toLowerCase(),
    dkim: await dkimKeyFor(db, row.domainId),
    attachments: await loadAttachments(db, row.departmentId, row.attachmentIds),
    tracking: row.tracking,
  };
}
