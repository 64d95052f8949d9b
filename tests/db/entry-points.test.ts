/**
 * Every mutating entry point (server action or route handler) is listed in ENTRY_POINTS,
 * and this test proves for each that a manager and a department user acting outside
 * their department are refused (403) with nothing changed, and that an admin's call
 * is recorded in the operation log with operator and IP. A new entry point that is not
 * in the table fails the first test.
 */
import fs from "node:fs";
import path from "node:path";
import { desc, eq } from "drizzle-orm";
import { beforeAll, expect, it, vi } from "vitest";
import type { Database } from "@/db/client";
import { auditLog, users } from "@/db/schema";
import { systemActor } from "@/lib/auth/actor";
import { createApiKey } from "@/lib/auth/api-keys";
import { describeOnDatabases } from "../helpers/db";
import { makeDepartment, makeUser, unique } from "../helpers/factories";
import { serveAs } from "../helpers/next-headers";
import { snapshotState } from "../helpers/snapshot";

vi.mock("next/headers", () => import("../helpers/next-headers"));

type Outcome = { status: number };
type Fixture = {
  db: Database;
  /** A department the department user does not belong to, with a user and a key of its own. */
  other: { departmentId: string; userId: string; apiKeyId: string };
  own: { departmentId: string };
};
type Case = {
  /** department: acts on one department's object; company: company-wide; public: no caller to check. */
  scope: "department" | "company" | "public";
  why?: string;
  call?: (fixture: Fixture) => Promise<Outcome>;
};

const ROOT = path.resolve(__dirname, "../..");

async function action(file: string, name: string, input: Record<string, unknown>): Promise<Outcome> {
  const exported = (await import(/* @vite-ignore */ path.join(ROOT, file))) as Record<string, (input: unknown) => Promise<{ ok: boolean; error?: { code: string } }>>;
  const result = await exported[name]!(input);
  if (result.ok) return { status: 200 };
  const statusByCode: Record<string, number> = { forbidden: 403, unauthorized: 401, invalid_input: 400, not_found: 404, conflict: 409 };
  return { status: statusByCode[result.error!.code] ?? 500 };
}

const ENTRY_POINTS: Record<string, Case> = {
  "app/(console)/admin/company/actions.ts#updateCompany": {
    scope: "company",
    call: () => action("app/(console)/admin/company/actions.ts", "updateCompany", { name: unique("Company"), quotaTotal: "" }),
  },
  "app/(console)/admin/departments/actions.ts#createDepartment": {
    scope: "company",
    call: () => action("app/(console)/admin/departments/actions.ts", "createDepartment", { name: unique("dept"), quotaAllocated: "10" }),
  },
  "app/(console)/admin/departments/actions.ts#updateDepartment": {
    scope: "department",
    call: ({ other }) =>
      action("app/(console)/admin/departments/actions.ts", "updateDepartment", { id: other.departmentId, name: unique("renamed"), quotaAllocated: "5" }),
  },
  "app/(console)/admin/users/actions.ts#createUser": {
    scope: "department",
    call: ({ other }) =>
      action("app/(console)/admin/users/actions.ts", "createUser", {
        email: `${unique("new")}@example.com`,
        password: "long enough password",
        role: "department",
        departmentId: other.departmentId,
      }),
  },
  "app/(console)/admin/users/actions.ts#changeUserRole": {
    scope: "department",
    call: ({ other }) => action("app/(console)/admin/users/actions.ts", "changeUserRole", { id: other.userId, role: "manager", readsAllDepartments: "on" }),
  },
  "app/(console)/admin/users/actions.ts#setUserStatus": {
    scope: "department",
    call: ({ other }) => action("app/(console)/admin/users/actions.ts", "setUserStatus", { id: other.userId, disabled: "true" }),
  },
  "app/(console)/admin/users/actions.ts#resetPassword": {
    scope: "department",
    call: ({ other }) => action("app/(console)/admin/users/actions.ts", "resetPassword", { id: other.userId, password: "another long password" }),
  },
  "app/(console)/admin/api-keys/actions.ts#createApiKey": {
    scope: "department",
    call: ({ other }) => action("app/(console)/admin/api-keys/actions.ts", "createApiKey", { name: "integration", scope: other.departmentId }),
  },
  "app/(console)/admin/api-keys/actions.ts#revokeApiKey": {
    scope: "department",
    call: ({ other }) => action("app/(console)/admin/api-keys/actions.ts", "revokeApiKey", { id: other.apiKeyId }),
  },
  "app/api/auth/[...nextauth]/route.ts#POST": {
    scope: "public",
    why: "signing in is how a caller becomes known; lib/auth/sign-in.ts is tested on its own",
  },
};

const MUTATING_ROUTE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function listEntryFiles(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return listEntryFiles(full);
    return /^(actions|route)\.ts$/.test(entry.name) ? [path.relative(ROOT, full)] : [];
  });
}

async function discoverMutatingEntryPoints(): Promise<string[]> {
  const found: string[] = [];
  for (const file of listEntryFiles(path.join(ROOT, "app"))) {
    const exported = (await import(/* @vite-ignore */ path.join(ROOT, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exported)) {
      if (typeof value !== "function") continue;
      const isAction = file.endsWith("actions.ts");
      if (isAction || MUTATING_ROUTE_METHODS.has(name)) found.push(`${file}#${name}`);
    }
  }
  return found.sort();
}

it("lists every mutating entry point in the table", async () => {
  const discovered = await discoverMutatingEntryPoints();
  expect(discovered.length).toBeGreaterThan(0);
  expect(discovered).toEqual(Object.keys(ENTRY_POINTS).sort());
});

describeOnDatabases("mutating entry points", (db) => {
  let admin: { id: string; email: string };
  let manager: { id: string; email: string };
  let departmentUser: { id: string; email: string };
  let ownDepartmentId: string;

  beforeAll(async () => {
    const own = await makeDepartment(db());
    ownDepartmentId = own.id;
    admin = await makeUser(db(), "admin");
    manager = await makeUser(db(), "manager", { readsAll: true });
    departmentUser = await makeUser(db(), "department", { departmentId: own.id });
  });

  async function freshFixture(): Promise<Fixture> {
    const other = await makeDepartment(db());
    const otherUser = await makeUser(db(), "department", { departmentId: other.id });
    const key = await createApiKey({ db: db(), actor: systemActor("test") }, { name: "theirs", scope: { company: false, departmentId: other.id } });
    return { db: db(), other: { departmentId: other.id, userId: otherUser.id, apiKeyId: key.id }, own: { departmentId: ownDepartmentId } };
  }

  const checked = Object.entries(ENTRY_POINTS).filter(([, entry]) => entry.scope !== "public");

  it.each(checked)("%s refuses a manager and changes nothing", async (_name, entry) => {
    const fixture = await freshFixture();
    const before = await snapshotState(db());
    await serveAs(manager);
    expect((await entry.call!(fixture)).status).toBe(403);
    expect(await snapshotState(db())).toBe(before);
  });

  it.each(checked)("%s refuses a department user outside its department and changes nothing", async (_name, entry) => {
    const fixture = await freshFixture();
    const before = await snapshotState(db());
    await serveAs(departmentUser);
    expect((await entry.call!(fixture)).status).toBe(403);
    expect(await snapshotState(db())).toBe(before);
  });

  it.each(checked)("%s is recorded in the operation log with operator and IP when an admin calls it", async (_name, entry) => {
    const fixture = await freshFixture();
    const [last] = await db().select({ id: auditLog.id }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    const [adminRow] = await db().select({ sv: users.sessionVersion }).from(users).where(eq(users.id, admin.id));
    await serveAs({ id: admin.id, sessionVersion: adminRow!.sv }, "203.0.113.77");
    expect((await entry.call!(fixture)).status).toBe(200);
    const entries = await db().select().from(auditLog).orderBy(desc(auditLog.id)).limit(5);
    const fresh = entries.filter((row) => row.id > (last?.id ?? 0));
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ operatorLabel: admin.email, operatorRole: "admin", ip: "203.0.113.77", operatorId: `user:${admin.id}` });
    expect(fresh[0]!.summary.length).toBeGreaterThan(5);
  });

  it("refuses a caller with no session", async () => {
    const { serveAnonymous } = await import("../helpers/next-headers");
    serveAnonymous();
    const fixture = await freshFixture();
    const before = await snapshotState(db());
    for (const [, entry] of checked) expect((await entry.call!(fixture)).status).toBe(401);
    expect(await snapshotState(db())).toBe(before);
  });
});
