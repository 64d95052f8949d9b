import { inArray, eq, sql, type SQL, type Column } from "drizzle-orm";
import type { Role } from "@/db/schema";
import { forbidden, invalidInput } from "@/lib/errors";
import type { Actor } from "./actor";

/**
 * What each role may do: the one map the server enforces and the console reads to hide
 * what a role cannot use. Department and manager permissions are further limited to
 * their departments by `authorize` and `departmentScope`.
 */
export const PERMISSIONS = {
  "dashboard.view": ["admin", "department", "manager"],
  "company.view": ["admin"],
  "company.update": ["admin"],
  "department.view": ["admin", "department", "manager"],
  "department.list": ["admin"], // the admin page of every department; department.view is the scoped read
  "department.create": ["admin"],
  "department.update": ["admin"],
  "user.view": ["admin"],
  "user.manage": ["admin"],
  "apikey.view": ["admin", "department"],
  "apikey.manage": ["admin", "department"],
  "audit.view": ["admin", "department", "manager"],
  "reports.view": ["admin", "department", "manager"],
  "pools.manage": ["admin", "department"],
  "templates.manage": ["admin", "department"],
  // Managers read the task list and each task's page and report; creating, editing, pausing and cancelling stay tasks.manage.
  // Segments (saved rules over a department's contacts, lib/audiences/segments): whoever manages pools and tasks.
  "segments.manage": ["admin", "department"],
  "tasks.view": ["admin", "department", "manager"],
  "tasks.manage": ["admin", "department"],
  "senders.manage": ["admin", "department"],
  // Department SMTP accounts (域帐号) for the SMTP entrance: managers read the list, never its controls.
  "smtp_accounts.view": ["admin", "department", "manager"],
  "smtp_accounts.manage": ["admin", "department"],
  // Outgoing webhooks: a department's own endpoints, and company-wide ones for admins and company keys.
  "webhooks.manage": ["admin", "department"],
  // The bell: a department's notifications for its users and admins; company-wide ones for admins only.
  "notifications.view": ["admin", "department"],
  // Personal-data rights (个人信息保护法): what is held about one address across every department, its export and erasure.
  "privacy.manage": ["admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** An object the permission is exercised on: its department, or null when company-wide. */
export type Target = { departmentId: string | null };

export function canAccessDepartment(actor: Actor, departmentId: string | null): boolean {
  if (actor.role === "admin") return true;
  if (actor.role === "department") return departmentId !== null && departmentId === actor.departmentId;
  if (departmentId === null) return actor.readable === "all";
  return actor.readable === "all" || actor.readable.includes(departmentId);
}

/** The policy check every entry point makes; throws `forbidden` when the answer is no. */
export function authorize(actor: Actor, permission: Permission, target?: Target): void {
  if (!can(actor.role, permission)) throw forbidden();
  if (target && !canAccessDepartment(actor, target.departmentId)) throw forbidden();
}

/** The department filter for a query on department data; undefined means no filter (all). */
export function departmentScope(actor: Actor, column: Column): SQL | undefined {
  if (actor.role === "admin") return undefined;
  if (actor.role === "department") {
    return actor.departmentId ? eq(column, actor.departmentId) : sql`false`;
  }
  if (actor.readable === "all") return undefined;
  return actor.readable.length > 0 ? inArray(column, [...actor.readable]) : sql`false`;
}

/** Departments a company-wide caller must name and a department caller may omit. */
export function resolveTargetDepartment(actor: Actor, requested: string | null | undefined): string {
  if (actor.role === "department") {
    if (requested && requested !== actor.departmentId) throw forbidden();
    return actor.departmentId!;
  }
  if (!requested) throw invalidInput("departmentRequired", { field: "departmentId" });
  return requested;
}
