import "server-only";
import { and, desc, eq, lt } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { departments, outboxMessages } from "@/db/schema";
import { authorize, departmentScope } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";

export const OUTBOX_PAGE_SIZE = 50;

/** What the outbox transport "sent": newest first, a department sees its own. */
export async function listOutbox(ctx: Ctx, before?: Date) {
  authorize(ctx.actor, "senders.manage");
  const rows = await ctx.db
    .select({
      id: outboxMessages.id,
      kind: outboxMessages.kind,
      fromAddress: outboxMessages.fromAddress,
      toAddress: outboxMessages.toAddress,
      subject: outboxMessages.subject,
      createdAt: outboxMessages.createdAt,
      departmentName: departments.name,
    })
    .from(outboxMessages)
    .leftJoin(departments, eq(departments.id, outboxMessages.departmentId))
    .where(and(departmentScope(ctx.actor, outboxMessages.departmentId), before ? lt(outboxMessages.createdAt, before) : undefined))
    .orderBy(desc(outboxMessages.createdAt))
    .limit(OUTBOX_PAGE_SIZE + 1);
  return { rows: rows.slice(0, OUTBOX_PAGE_SIZE), nextBefore: rows.length > OUTBOX_PAGE_SIZE ? rows[OUTBOX_PAGE_SIZE - 1]!.createdAt.toISOString() : null };
}

/** One stored message, parsed back from its MIME for display. */
export async function readOutboxMessage(ctx: Ctx, id: string) {
  if (!isUuid(id)) throw notFound("Message");
  const [row] = await ctx.db.select().from(outboxMessages).where(eq(outboxMessages.id, id));
  if (!row) throw notFound("Message");
  authorize(ctx.actor, "senders.manage", { departmentId: row.departmentId });
  const parsed = await simpleParser(row.mime);
  return {
    id: row.id,
    createdAt: row.createdAt,
    mime: row.mime,
    subject: parsed.subject ?? "",
    from: parsed.from?.text ?? row.fromAddress,
    to: row.toAddress,
    text: parsed.text ?? "",
    html: typeof parsed.html === "string" ? parsed.html : "",
    headers: [...parsed.headerLines.map((line) => line.line)],
    attachments: parsed.attachments.map((attachment) => ({ fileName: attachment.filename ?? "attachment", contentType: attachment.contentType, size: attachment.size })),
  };
}
