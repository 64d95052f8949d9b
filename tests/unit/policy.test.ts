import { describe, expect, it } from "vitest";
import { ROLES } from "@/db/schema";
import type { Actor } from "@/lib/access/actor";
import { authorize, can, PERMISSIONS, type Permission } from "@/lib/access/policy";
import { navigationFor } from "@/components/shell/navigation";
import { AppError } from "@/lib/errors";

const base = { kind: "user" as const, id: "u", label: "u@example.com", ip: "" };
const admin: Actor = { ...base, role: "admin", departmentId: null, readable: "all" };
const sales: Actor = { ...base, role: "department", departmentId: "sales", readable: ["sales"] };
const manager: Actor = { ...base, role: "manager", departmentId: null, readable: ["sales"] };

function refused(run: () => void) {
  try {
    run();
    return false;
  } catch (error) {
    return error instanceof AppError && error.code === "forbidden";
  }
}

describe("policy", () => {
  it("never lets a manager change anything", () => {
    const writes = (Object.keys(PERMISSIONS) as Permission[]).filter((permission) => !/\.(view|list)$/.test(permission));
    expect(writes.length).toBeGreaterThan(5);
    for (const permission of writes) expect(can("manager", permission), permission).toBe(false);
  });

  it("keeps department users inside their department", () => {
    expect(refused(() => authorize(sales, "apikey.manage", { departmentId: "sales" }))).toBe(false);
    expect(refused(() => authorize(sales, "apikey.manage", { departmentId: "support" }))).toBe(true);
    expect(refused(() => authorize(sales, "apikey.manage", { departmentId: null }))).toBe(true);
    expect(refused(() => authorize(sales, "department.create"))).toBe(true);
  });

  it("lets managers read only granted departments", () => {
    expect(refused(() => authorize(manager, "reports.view", { departmentId: "sales" }))).toBe(false);
    expect(refused(() => authorize(manager, "reports.view", { departmentId: "support" }))).toBe(true);
  });

  it("lets admins do everything", () => {
    for (const permission of Object.keys(PERMISSIONS) as Permission[]) {
      expect(refused(() => authorize(admin, permission, { departmentId: "any" }))).toBe(false);
    }
  });

  it("shows each role only the sections it may use", () => {
    const labels = (role: (typeof ROLES)[number]) => navigationFor(role).flatMap((group) => group.items.map((item) => item.label));
    expect(labels("manager")).toEqual(["dashboard", "tasks", "automations", "groups", "reports", "logs"]);
    expect(labels("department")).toEqual(["dashboard", "pools", "tags", "segments", "suppressions", "templates", "tasks", "automations", "groups", "senders", "outbox", "smtpAccounts", "webhooks", "reports", "logs", "apiKeys", "apiReference"]);
    expect(labels("admin")).toContain("users");
  });

  it("gates the departments list by reading it, not by creating one", () => {
    const departmentsItem = navigationFor("admin")
      .flatMap((group) => group.items)
      .find((item) => item.href === "/admin/departments");
    expect(departmentsItem?.permission).toBe("department.list");
    expect(PERMISSIONS["department.list"]).toEqual(["admin"]);
  });
});
