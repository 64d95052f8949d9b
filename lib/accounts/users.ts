import "server-only";
import { and, asc, count, eq, ne, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { departments, managerDepartments, users, type Role } from "@/db/schema";
import { revokeApiKeysCreatedBy } from "./api-keys";
import { authorize } from "@/lib/access/policy";
import { hashPassword } from "@/lib/auth/passwords";
import { recordAudit } from "@/lib/audit/record";
import { conflict, invalidInput, notFound } from "@/lib/errors";
import type { Ctx } from "@/lib/access/context";

export type UserInput = {
  email: string;
  name?: string;
  password: string;
  role: Role;
  departmentId?: string | null;
  readsAllDepartments?: boolean;
  managedDepartmentIds?: string[];
};

const publicColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  departmentId: users.departmentId,
  departmentName: departments.name,
  readsAllDepartments: users.readsAllDepartments,
  disabled: users.disabled,
  lastLoginAt: users.lastLoginAt,
  createdAt: users.createdAt,
};

export async function listUsers({ db, actor }: Ctx, page = { offset: 0, limit: 50 }) {
  authorize(actor, "user.view");
  const rows = await db
    .select(publicColumns)
    .from(users)
    .leftJoin(departments, eq(departments.id, users.departmentId))
    .orderBy(asc(sql`lower(${users.email})`))
    .offset(page.offset)
    .limit(page.limit);
  const grants = await db.select().from(managerDepartments);
  const [total] = await db.select({ value: count() }).from(users);
  return {
    total: total?.value ?? 0,
    rows: rows.map((row) => ({
      ...row,
      managedDepartmentIds: grants.filter((grant) => grant.userId === row.id).map((grant) => grant.departmentId),
    })),
  };
}

type Placement = { role: Role; departmentId: string | null; readsAllDepartments: boolean; managed: string[] };

async function resolvePlacement(tx: Executor, input: Pick<UserInput, "role" | "departmentId" | "readsAllDepartments" | "managedDepartmentIds">): Promise<Placement> {
  if (input.role === "department") {
    if (!input.departmentId) throw invalidInput("departmentUserNeedsDepartment", { field: "departmentId" });
    const [department] = await tx.select({ id: departments.id }).from(departments).where(eq(departments.id, input.departmentId));
    if (!department) throw invalidInput("noDepartment", { field: "departmentId" });
    return { role: "department", departmentId: input.departmentId, readsAllDepartments: false, managed: [] };
  }
  if (input.role === "manager") {
    const managed = [...new Set(input.managedDepartmentIds ?? [])];
    if (managed.length > 0) {
      const found = await tx.select({ id: departments.id }).from(departments).where(sql`${departments.id} in ${managed}`);
      if (found.length !== managed.length) throw invalidInput("grantedDepartmentMissing", { field: "managedDepartmentIds" });
    }
    return { role: "manager", departmentId: null, readsAllDepartments: input.readsAllDepartments ?? managed.length === 0, managed };
  }
  return { role: "admin", departmentId: null, readsAllDepartments: false, managed: [] };
}

function normaliseEmail(email: string) {
  const trimmed = email.trim();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed) || trimmed.length > 254) {
    throw invalidInput("userEmailInvalid", { field: "email", params: { email } });
  }
  return trimmed.toLowerCase();
}

export async function createUser({ db, actor }: Ctx, input: UserInput) {
  authorize(actor, "user.manage");
  const email = normaliseEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${email}`);
    if (existing) throw conflict("userEmailTaken", { field: "email", params: { email } });
    const placement = await resolvePlacement(tx, input);
    const [created] = await tx
      .insert(users)
      .values({
        email,
        name: input.name?.trim() ?? "",
        passwordHash,
        role: placement.role,
        departmentId: placement.departmentId,
        readsAllDepartments: placement.readsAllDepartments,
      })
      .returning({ id: users.id });
    if (placement.managed.length > 0) {
      await tx.insert(managerDepartments).values(placement.managed.map((departmentId) => ({ userId: created!.id, departmentId })));
    }
    await recordAudit(tx, actor, {
      action: "user.create",
      objectType: "user",
      objectId: created!.id,
      departmentId: placement.departmentId,
      summary: { key: "user.create", params: { role: placement.role, email } },
    });
    return created!;
  });
}

async function loadUserForUpdate(tx: Executor, id: string) {
  const [user] = await tx.select().from(users).where(eq(users.id, id)).for("update");
  if (!user) throw notFound("user");
  return user;
}

/** Refuses changes that would leave the company without an active admin. */
async function assertAnotherActiveAdmin(tx: Executor, exceptId: string) {
  const [others] = await tx
    .select({ value: count() })
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.disabled, false), ne(users.id, exceptId)));
  if ((others?.value ?? 0) === 0) throw conflict("lastAdmin");
}

export type RoleChange = Pick<UserInput, "role" | "departmentId" | "readsAllDepartments" | "managedDepartmentIds"> & { name?: string };

export async function changeUserRole({ db, actor }: Ctx, id: string, input: RoleChange) {
  authorize(actor, "user.manage");
  return db.transaction(async (tx) => {
    const user = await loadUserForUpdate(tx, id);
    if (user.role === "admin" && input.role !== "admin") await assertAnotherActiveAdmin(tx, id);
    const placement = await resolvePlacement(tx, input);
    const placementChanged = user.role !== placement.role || user.departmentId !== placement.departmentId;
    await tx
      .update(users)
      .set({
        name: input.name?.trim() ?? user.name,
        role: placement.role,
        departmentId: placement.departmentId,
        readsAllDepartments: placement.readsAllDepartments,
        sessionVersion: placementChanged ? user.sessionVersion + 1 : user.sessionVersion,
        updatedAt: new Date(),
      })
      .where(eq(users.id, id));
    await tx.delete(managerDepartments).where(eq(managerDepartments.userId, id));
    if (placement.managed.length > 0) {
      await tx.insert(managerDepartments).values(placement.managed.map((departmentId) => ({ userId: id, departmentId })));
    }
    await recordAudit(tx, actor, {
      action: "user.update",
      objectType: "user",
      objectId: id,
      departmentId: placement.departmentId ?? user.departmentId,
      summary: { key: "user.update", params: { email: user.email, role: placement.role, oldRole: user.role }, notes: [placementChanged && "roleChanged"] },
    });
  });
}

export async function setUserDisabled({ db, actor }: Ctx, id: string, disabled: boolean) {
  authorize(actor, "user.manage");
  return db.transaction(async (tx) => {
    const user = await loadUserForUpdate(tx, id);
    if (disabled && actor.kind === "user" && actor.id === id) throw conflict("cannotDisableSelf");
    if (disabled && user.role === "admin") await assertAnotherActiveAdmin(tx, id);
    await tx
      .update(users)
      .set({ disabled, sessionVersion: user.sessionVersion + 1, updatedAt: new Date() })
      .where(eq(users.id, id));
    await recordAudit(tx, actor, {
      action: disabled ? "user.disable" : "user.enable",
      objectType: "user",
      objectId: id,
      departmentId: user.departmentId,
      summary: { key: disabled ? "user.disable" : "user.enable", params: { email: user.email } },
    });
    if (disabled) await revokeApiKeysCreatedBy(tx, actor, user, "userDisabled");
  });
}

export async function resetUserPassword({ db, actor }: Ctx, id: string, password: string) {
  authorize(actor, "user.manage");
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    const user = await loadUserForUpdate(tx, id);
    await tx
      .update(users)
      .set({ passwordHash, sessionVersion: user.sessionVersion + 1, updatedAt: new Date() })
      .where(eq(users.id, id));
    await recordAudit(tx, actor, {
      action: "user.reset_password",
      objectType: "user",
      objectId: id,
      departmentId: user.departmentId,
      summary: { key: "user.resetPassword", params: { email: user.email } },
    });
  });
}
