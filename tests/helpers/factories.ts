import crypto from "node:crypto";
import type { Database } from "@/db/client";
import { createDepartment } from "@/lib/accounts/departments";
import { createUser } from "@/lib/accounts/users";
import { systemActor, type Actor } from "@/lib/access/actor";
import type { Role } from "@/db/schema";

export const TEST_PASSWORD = "correct horse battery";

export function unique(prefix: string) {
  return `${prefix}-${crypto.randomBytes(4).toString("hex")}`;
}

export async function makeDepartment(db: Database, options: { name?: string; quota?: number | null } = {}) {
  const name = options.name ?? unique("dept");
  const { id } = await createDepartment({ db, actor: systemActor("test") }, { name, quotaAllocated: options.quota ?? null });
  return { id, name };
}

export async function makeUser(
  db: Database,
  role: Role,
  options: { departmentId?: string; managed?: string[]; readsAll?: boolean; email?: string; password?: string } = {},
) {
  const email = options.email ?? `${unique(role)}@example.com`;
  const { id } = await createUser(
    { db, actor: systemActor("test") },
    {
      email,
      password: options.password ?? TEST_PASSWORD,
      role,
      departmentId: options.departmentId ?? null,
      managedDepartmentIds: options.managed,
      readsAllDepartments: options.readsAll,
    },
  );
  return { id, email };
}

/** The actor a signed-in user resolves to, as the session code builds it. */
export function actorFor(user: { id: string; email: string }, role: Role, departmentId: string | null = null, readable: Actor["readable"] = "all"): Actor {
  return { kind: "user", id: user.id, label: user.email, role, departmentId, readable: role === "department" ? [departmentId!] : readable, ip: "203.0.113.9" };
}
