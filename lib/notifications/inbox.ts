import "server-only";
import { and, desc, eq, isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import { departments, notificationPreferences, notificationReads, notifications } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, canAccessDepartment, departmentScope } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import { forbidden, notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";

export const NOTIFICATION_PAGE_SIZE = 20;

/** The signed-in user whose read state this is; notifications are a console matter. */
function readerOf(ctx: Ctx): string {
  authorize(ctx.actor, "notifications.view");
  if (ctx.actor.kind !== "user") throw forbidden();
  return ctx.actor.id;
}

/** What the caller may see: admins everything (optionally one department), a department user its own department's. */
function visible(ctx: Ctx, departmentId?: string | null): SQL | undefined {
  if (ctx.actor.role === "admin") return departmentId ? eq(notifications.departmentId, departmentId) : undefined;
  return and(isNotNull(notifications.departmentId), departmentScope(ctx.actor, notifications.departmentId), departmentId ? eq(notifications.departmentId, departmentId) : undefined);
}

export async function listNotifications(ctx: Ctx, options: { page?: number; departmentId?: string | null } = {}) {
  const userId = readerOf(ctx);
  const page = Math.max(1, Math.floor(options.page ?? 1));
  const where = visible(ctx, options.departmentId && isUuid(options.departmentId) ? options.departmentId : undefined);
  const [rows, [counted]] = await Promise.all([
    ctx.db
      .select({
        id: notifications.id,
        departmentId: notifications.departmentId,
        departmentName: departments.name,
        kind: notifications.kind,
        params: notifications.params,
        link: notifications.link,
        createdAt: notifications.createdAt,
        readAt: notificationReads.readAt,
      })
      .from(notifications)
      .leftJoin(departments, eq(departments.id, notifications.departmentId))
      .leftJoin(notificationReads, and(eq(notificationReads.notificationId, notifications.id), eq(notificationReads.userId, userId)))
      .where(where)
      .orderBy(desc(notifications.createdAt), desc(notifications.id))
      .limit(NOTIFICATION_PAGE_SIZE)
      .offset((page - 1) * NOTIFICATION_PAGE_SIZE),
    ctx.db.select({ value: sql<number>`count(*)::int` }).from(notifications).where(where),
  ]);
  return { notifications: rows.map((row) => ({ ...row, read: row.readAt !== null, createdAt: row.createdAt.toISOString(), readAt: row.readAt?.toISOString() ?? null })), total: counted?.value ?? 0, page, pageSize: NOTIFICATION_PAGE_SIZE };
}

export async function unreadCount(ctx: Ctx): Promise<number> {
  const userId = readerOf(ctx);
  const [row] = await ctx.db
    .select({ value: sql<number>`count(*)::int` })
    .from(notifications)
    .leftJoin(notificationReads, and(eq(notificationReads.notificationId, notifications.id), eq(notificationReads.userId, userId)))
    .where(and(visible(ctx), isNull(notificationReads.notificationId)));
  return row?.value ?? 0;
}

/**
 * Marks one notification read for the caller: a made-up id is not found, another department's or
 * an admin-only one is forbidden, and neither changes anything. Read state is the caller's own,
 * so it is not audited.
 */
export async function markNotificationRead(ctx: Ctx, id: string): Promise<void> {
  const userId = readerOf(ctx);
  if (!isUuid(id)) throw notFound("notification");
  const [found] = await ctx.db.select({ departmentId: notifications.departmentId }).from(notifications).where(eq(notifications.id, id));
  if (!found) throw notFound("notification");
  if (ctx.actor.role !== "admin" && (found.departmentId === null || !canAccessDepartment(ctx.actor, found.departmentId))) throw forbidden();
  await ctx.db.insert(notificationReads).values({ notificationId: id, userId }).onConflictDoNothing();
}

/** Marks every notification the caller sees read (an admin may limit it to one department; a department user may name only its own). */
export async function markAllNotificationsRead(ctx: Ctx, options: { departmentId?: string | null } = {}): Promise<number> {
  const userId = readerOf(ctx);
  if (options.departmentId && ctx.actor.role !== "admin" && !canAccessDepartment(ctx.actor, options.departmentId)) throw forbidden();
  const unread = await ctx.db
    .select({ id: notifications.id })
    .from(notifications)
    .leftJoin(notificationReads, and(eq(notificationReads.notificationId, notifications.id), eq(notificationReads.userId, userId)))
    .where(and(visible(ctx, options.departmentId), isNull(notificationReads.notificationId)));
  if (unread.length === 0) return 0;
  await ctx.db
    .insert(notificationReads)
    .values(unread.map((row) => ({ notificationId: row.id, userId })))
    .onConflictDoNothing();
  return unread.length;
}

export async function readEmailPreference(ctx: Ctx): Promise<boolean> {
  const userId = readerOf(ctx);
  const [row] = await ctx.db.select({ email: notificationPreferences.email }).from(notificationPreferences).where(eq(notificationPreferences.userId, userId));
  return row?.email ?? false;
}

/** The caller's own choice to get notifications by e-mail too; audited as a settings change of the user's own. */
export async function setEmailPreference(ctx: Ctx, email: boolean): Promise<void> {
  const userId = readerOf(ctx);
  await ctx.db.transaction(async (tx) => {
    await tx
      .insert(notificationPreferences)
      .values({ userId, email, updatedAt: new Date() })
      .onConflictDoUpdate({ target: notificationPreferences.userId, set: { email, updatedAt: new Date() } });
    await recordAudit(tx, ctx.actor, { action: "settings.update", objectType: "user", objectId: userId, departmentId: ctx.actor.departmentId, summary: { key: "settings.update", params: { setting: "notificationEmail", value: email } } });
  });
}
