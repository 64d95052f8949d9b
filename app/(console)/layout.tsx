import { eq } from "drizzle-orm";
import type { ReactNode } from "react";
import { redirect } from "next/navigation";
import { getDb } from "@/lib/database";
import { departments } from "@/db/schema";
import { ConsoleFrame } from "@/components/shell/console-frame";
import { navigationFor } from "@/components/shell/navigation";
import { sessionActor } from "@/lib/entry/request";
import { can } from "@/lib/access/policy";
import { unreadCount } from "@/lib/notifications/inbox";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const db = await getDb();
  const actor = await sessionActor(db);
  if (!actor) redirect("/login");
  const [department] = actor.departmentId
    ? await db.select({ name: departments.name }).from(departments).where(eq(departments.id, actor.departmentId))
    : [];
  // The bell: admins and department users; null hides it (managers read reports only).
  const unread = can(actor.role, "notifications.view") && actor.kind === "user" ? await unreadCount({ db, actor }) : null;
  return (
    <ConsoleFrame groups={navigationFor(actor.role)} user={{ email: actor.label, role: actor.role, department: department?.name ?? null, unread }}>
      {children}
    </ConsoleFrame>
  );
}
