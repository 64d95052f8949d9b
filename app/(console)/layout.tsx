import { eq } from "drizzle-orm";
import type { ReactNode } from "react";
import { redirect } from "next/navigation";
import { getDb } from "@/lib/database";
import { departments } from "@/db/schema";
import { Header } from "@/components/shell/header";
import { Sidebar } from "@/components/shell/sidebar";
import { navigationFor } from "@/components/shell/navigation";
import { sessionActor } from "@/lib/entry/request";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const db = await getDb();
  const actor = await sessionActor(db);
  if (!actor) redirect("/login");
  const [department] = actor.departmentId
    ? await db.select({ name: departments.name }).from(departments).where(eq(departments.id, actor.departmentId))
    : [];
  return (
    <div className="flex min-h-full">
      <Sidebar groups={navigationFor(actor.role)} />
      <div className="flex min-w-0 flex-1 flex-col">
        <Header email={actor.label} role={actor.role} department={department?.name ?? null} />
        <main className="flex-1 px-6 py-5">{children}</main>
      </div>
    </div>
  );
}
