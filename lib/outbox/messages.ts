import "server-only";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { departments, outboxMessages } from "@/db/schema";
import { epochMicros, fromEpochMicros } from "@/db/sql";
import { authorize, departmentScope } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";

export const OUTBOX_PAGE_SIZE = 50;

/**
 * A page's cursor: a row's creation time in microseconds since the epoch and its id
 * ("1773072060123456_<uuid>"). A batch's messages share one creation time (one transaction's
 * now()), so the time alone cannot say where a page ended; the id breaks the tie.
 */
const CURSOR = /^(-?\d{1,17})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

type Cursor = { micros: string; id: string };

function parseCursor(text: string | undefined): Cursor | null {
  const match = text ? CURSOR.exec(text) : null;
  return match ? { micros: match[1]!, id: match[2]!.toLowerCase() } : null;
}

/** Whether a URL parameter is a cursor one of these pages gave. */
export function isOutboxCursor(text: string): boolean {
  return parseCursor(text) !== null;
}

export type OutboxPageRequest = { before?: string; after?: string };

/**
 * What the outbox transport "sent": newest first, a department sees its own. `before` gives the
 * page below a cursor (Next), `after` the page above it (Previous); each page says which way
 * there is more.
 */
export async function listOutbox(ctx: Ctx, request: OutboxPageRequest = {}) {
  authorize(ctx.actor, "senders.manage");
  const before = parseCursor(request.before);
  const after = before ? null : parseCursor(request.after);
  const createdMicros = epochMicros(outboxMessages.createdAt);
  const key = (cursor: Cursor) => sql`(${fromEpochMicros(cursor.micros)}, ${cursor.id}::uuid)`;
  const position = before
    ? sql`(${outboxMessages.createdAt}, ${outboxMessages.id}) < ${key(before)}`
    : after
      ? sql`(${outboxMessages.createdAt}, ${outboxMessages.id}) > ${key(after)}`
      : undefined;
  const found = await ctx.db
    .select({
      id: outboxMessages.id,
      kind: outboxMessages.kind,
      fromAddress: outboxMessages.fromAddress,
      toAddress: outboxMessages.toAddress,
      subject: outboxMessages.subject,
      createdAt: outboxMessages.createdAt,
      createdMicros,
      departmentName: departments.name,
    })
    .from(outboxMessages)
    .leftJoin(departments, eq(departments.id, outboxMessages.departmentId))
    .where(and(departmentScope(ctx.actor, outboxMessages.departmentId), position))
    .orderBy(...(after ? [asc(outboxMessages.createdAt), asc(outboxMessages.id)] : [desc(outboxMessages.createdAt), desc(outboxMessages.id)]))
    .limit(OUTBOX_PAGE_SIZE + 1);
  const more = found.length > OUTBOX_PAGE_SIZE;
  const page = found.slice(0, OUTBOX_PAGE_SIZE);
  if (after) page.reverse();
  const cursorOf = (row: (typeof page)[number] | undefined) => (row ? `${row.createdMicros}_${row.id}` : null);
  // Walking down, there is more below when the query found more, and above whenever it started below a
  // cursor; walking up, the other way round.
  const hasNext = after ? true : more;
  const hasPrevious = after ? more : before !== null;
  return {
    rows: page.map(({ createdMicros: _cursor, ...row }) => row),
    nextBefore: hasNext ? cursorOf(page.at(-1)) : null,
    previousAfter: hasPrevious ? cursorOf(page[0]) : null,
  };
}

/** One stored message, parsed back from its MIME for display. */
export async function readOutboxMessage(ctx: Ctx, id: string) {
  if (!isUuid(id)) throw notFound("message");
  const [row] = await ctx.db.select().from(outboxMessages).where(eq(outboxMessages.id, id));
  if (!row) throw notFound("message");
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
