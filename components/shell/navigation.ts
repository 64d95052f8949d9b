import type { Role } from "@/db/schema";
import { can, type Permission } from "@/lib/access/policy";
import type { Messages } from "@/lib/i18n";

type NavKey = keyof Messages["nav"];
export type NavItem = { href: string; label: NavKey; permission: Permission; testId: string };
export type NavGroup = { label?: NavKey; items: NavItem[] };

/** The console's sections; each shows only for roles whose permission map allows it. */
export const NAVIGATION: NavGroup[] = [
  {
    items: [
      { href: "/", label: "dashboard", permission: "dashboard.view", testId: "nav-dashboard" },
      { href: "/pools", label: "pools", permission: "pools.manage", testId: "nav-pools" },
      { href: "/tags", label: "tags", permission: "pools.manage", testId: "nav-tags" },
      { href: "/segments", label: "segments", permission: "segments.manage", testId: "nav-segments" },
      { href: "/suppressions", label: "suppressions", permission: "pools.manage", testId: "nav-suppressions" },
      { href: "/templates", label: "templates", permission: "templates.manage", testId: "nav-templates" },
      { href: "/tasks", label: "tasks", permission: "tasks.view", testId: "nav-tasks" },
      { href: "/automations", label: "automations", permission: "tasks.view", testId: "nav-automations" },
      { href: "/groups", label: "groups", permission: "tasks.view", testId: "nav-groups" },
      { href: "/senders", label: "senders", permission: "senders.manage", testId: "nav-senders" },
      { href: "/outbox", label: "outbox", permission: "senders.manage", testId: "nav-outbox" },
      // 域帐号管理 is where a department works, so its entry is for those who manage accounts; managers may still open the page to read it.
      { href: "/smtp-accounts", label: "smtpAccounts", permission: "smtp_accounts.manage", testId: "nav-smtp-accounts" },
      { href: "/webhooks", label: "webhooks", permission: "webhooks.manage", testId: "nav-webhooks" },
      { href: "/reports", label: "reports", permission: "reports.view", testId: "nav-reports" },
      { href: "/logs", label: "logs", permission: "audit.view", testId: "nav-logs" },
    ],
  },
  {
    label: "admin",
    items: [
      { href: "/admin/company", label: "company", permission: "company.view", testId: "nav-company" },
      { href: "/admin/departments", label: "departments", permission: "department.list", testId: "nav-departments" },
      { href: "/admin/users", label: "users", permission: "user.view", testId: "nav-users" },
      { href: "/admin/api-keys", label: "apiKeys", permission: "apikey.view", testId: "nav-api-keys" },
      { href: "/admin/api-reference", label: "apiReference", permission: "apikey.view", testId: "nav-api-reference" },
      { href: "/admin/personal-data", label: "personalData", permission: "privacy.manage", testId: "nav-personal-data" },
    ],
  },
];

export function navigationFor(role: Role): NavGroup[] {
  return NAVIGATION.map((group) => ({ ...group, items: group.items.filter((item) => can(role, item.permission)) })).filter(
    (group) => group.items.length > 0,
  );
}
