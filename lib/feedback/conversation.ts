import "server-only";
import { and, desc, eq, inArray, ne, sql } from "drizzle-orm";
import { contacts, deliveries, deliveryEvents, tasks, type DeliveryStatus, type TaskChannel } from "@/db/schema";
import { authorize, departmentScope } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { notFound } from "@/lib/errors";

/*
 * One contact's conversation on the messaging channels: each text (SMS, WhatsApp, WeCom) a task
 * sent them and each reply stored on it (channel-feedback.ts), newest first. Read as the delivery
 * log is: `reports.view`, and a contact of another department is not found.
 */

export const CONVERSATION_PAGE_SIZE = 20;

export type ConversationEntry =
  | { kind: "sent"; deliveryId: number; taskId: string; taskName: string; channel: TaskChannel; address: string | null; status: DeliveryStatus; at: Date; readAt: Date | null }
  | { kind: "reply"; deliveryId: number; channel: TaskChannel; text: string; at: Date };

export async function contactConversation(ctx: Ctx, contactId: number, options: { page?: number } = {}) {
  authorize(ctx.actor, "reports.view");
  if (!Number.isSafeInteger(contactId) || contactId <= 0) throw notFound("contact");
  const [contact] = await ctx.db
    .select({ id: contacts.id, departmentId: contacts.departmentId, email: contacts.email, name: contacts.name, phone: contacts.phone, wecomUserId: contacts.wecomUserId })
    .from(contacts)
    .where(and(eq(contacts.id, contactId), departmentScope(ctx.actor, contacts.departmentId)));
  if (!contact) throw notFound("contact");

  const page = Math.max(1, Math.floor(options.page ?? 1));
  const at = sql<Date>`coalesce(${deliveries.sentAt}, ${deliveries.updatedAt})`;
  const where = and(eq(deliveries.contactId, contact.id), eq(deliveries.departmentId, contact.departmentId), ne(tasks.channel, "email"));
  const [sent, [counted]] = await Promise.all([
    ctx.db
      .select({ deliveryId: deliveries.id, taskId: tasks.id, taskName: tasks.name, channel: tasks.channel, address: deliveries.address, status: deliveries.status, at, readAt: deliveries.firstOpenAt })
      .from(deliveries)
      .innerJoin(tasks, eq(tasks.id, deliveries.taskId))
      .where(where)
      .orderBy(desc(at), desc(deliveries.id))
      .limit(CONVERSATION_PAGE_SIZE)
      .offset((page - 1) * CONVERSATION_PAGE_SIZE),
    ctx.db.select({ value: sql<number>`count(*)::int` }).from(deliveries).innerJoin(tasks, eq(tasks.id, deliveries.taskId)).where(where),
  ]);
  const channelOf = new Map(sent.map((row) => [row.deliveryId, row.channel]));
  const replies =
    sent.length === 0
      ? []
      : await ctx.db
          .select({ deliveryId: deliveryEvents.deliveryId, detail: deliveryEvents.detail, at: deliveryEvents.occurredAt })
          .from(deliveryEvents)
          .where(and(inArray(deliveryEvents.deliveryId, [...channelOf.keys()]), eq(deliveryEvents.departmentId, contact.departmentId), eq(deliveryEvents.type, "replied")));

  const entries: ConversationEntry[] = [
    ...sent.map((row) => ({ kind: "sent" as const, ...row, at: new Date(row.at) })),
    // A reply erased with its address keeps its place and loses its words.
    ...replies.map((row) => ({ kind: "reply" as const, deliveryId: row.deliveryId, channel: channelOf.get(row.deliveryId)!, text: typeof row.detail.reply === "string" ? row.detail.reply : "", at: row.at })),
  ];
  // Newest first; a reply after the text it answers even when both carry the same second.
  entries.sort((a, b) => b.at.getTime() - a.at.getTime() || (a.kind === b.kind ? b.deliveryId - a.deliveryId : a.kind === "reply" ? -1 : 1));
  return { contact, entries, total: counted?.value ?? 0, page, pageSize: CONVERSATION_PAGE_SIZE };
}
