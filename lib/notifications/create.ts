import "server-only";
import type { Executor } from "@/db/client";
import { notifications, type NotificationKind } from "@/db/schema";

export type NewNotification = {
  /** Null: for admins only (company-wide matters). */
  departmentId: string | null;
  kind: NotificationKind;
  params: Record<string, string | number | null>;
  /** The console page where it is dealt with. */
  link: string;
  /** The same key again creates nothing: "once per quota period", "once per DNS state change". */
  dedupeKey?: string;
};

/**
 * Records a notification in the caller's transaction, so it exists exactly when what it reports
 * committed. Its e-mail copies go later (sendNotificationEmails), never inside a transaction.
 */
export async function createNotification(tx: Executor, input: NewNotification): Promise<string | null> {
  const [row] = await tx
    .insert(notifications)
    .values({ departmentId: input.departmentId, kind: input.kind, params: input.params, link: input.link, dedupeKey: input.dedupeKey ?? null })
    .onConflictDoNothing({ target: notifications.dedupeKey })
    .returning({ id: notifications.id });
  return row?.id ?? null;
}
