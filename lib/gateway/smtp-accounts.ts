import "server-only";
import crypto from "node:crypto";
import { and, asc, count, eq, sql, type SQL } from "drizzle-orm";
import { departments, smtpAccounts, tasks } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope, resolveTargetDepartment } from "@/lib/access/policy";
import { recordAudit, updateAudited } from "@/lib/audit/record";
import { assertPasswordAcceptable, hashPassword } from "@/lib/auth/passwords";
import { AppError, conflict, invalidInput, notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
import { LIMIT_BOUNDS, USERNAME_RULE } from "./account-rules";
import { parseIpRanges } from "./ip-ranges";

/*
 * Department SMTP accounts (域帐号管理): the user names and passwords a group-send client gives the
 * SMTP entrance. A department user manages its own department's accounts, an admin every one, a
 * manager reads them. The password is kept only as a bcrypt hash; a generated one is returned once,
 * to be shown once. Every change is audited, and no summary ever holds a password.
 */

export type SmtpAccountLimits = {
  messagesPerMinute: number | null;
  maxRecipients: number | null;
  /** Addresses or CIDRs, as a list or as typed (comma, space or line separated); empty or null: any address. */
  allowedIps: string | readonly string[] | null;
  tracking: boolean;
};

const accountColumns = {
  id: smtpAccounts.id,
  departmentId: smtpAccounts.departmentId,
  username: smtpAccounts.username,
  disabled: smtpAccounts.disabled,
  messagesPerMinute: smtpAccounts.messagesPerMinute,
  maxRecipients: smtpAccounts.maxRecipients,
  allowedIps: smtpAccounts.allowedIps,
  tracking: smtpAccounts.tracking,
  note: smtpAccounts.note,
  createdBy: smtpAccounts.createdBy,
  createdAt: smtpAccounts.createdAt,
  lastUsedAt: smtpAccounts.lastUsedAt,
  lastIp: smtpAccounts.lastIp,
};

export type SmtpAccountView = Awaited<ReturnType<typeof listSmtpAccounts>>["rows"][number];

/** The caller's accounts (its department's; all for an admin), by user name, a page at a time. */
export async function listSmtpAccounts(
  ctx: Ctx,
  options: { departmentId?: string | null; q?: string | null; offset?: number; limit?: number } = {},
) {
  authorize(ctx.actor, "smtp_accounts.view");
  const filters: (SQL | undefined)[] = [departmentScope(ctx.actor, smtpAccounts.departmentId)];
  if (options.departmentId) filters.push(isUuid(options.departmentId) ? eq(smtpAccounts.departmentId, options.departmentId) : sql`false`);
  const q = options.q?.trim().toLowerCase();
  if (q) filters.push(sql`strpos(${smtpAccounts.username}, ${q}) > 0`);
  const where = and(...filters);
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select({ ...accountColumns, departmentName: departments.name })
      .from(smtpAccounts)
      .innerJoin(departments, eq(departments.id, smtpAccounts.departmentId))
      .where(where)
      .orderBy(asc(smtpAccounts.username))
      .offset(options.offset ?? 0)
      .limit(Math.min(options.limit ?? 50, 500)),
    ctx.db.select({ value: count() }).from(smtpAccounts).where(where),
  ]);
  return { rows, total: total?.value ?? 0 };
}

/** One account the caller may read (`smtp_accounts.view`) or change (`smtp_accounts.manage`): unknown ids are 404, another department's 403. */
export async function loadSmtpAccount(ctx: Ctx, id: string, permission: "smtp_accounts.view" | "smtp_accounts.manage" = "smtp_accounts.view") {
  if (!isUuid(id)) throw notFound("smtpAccount");
  const [row] = await ctx.db.select(accountColumns).from(smtpAccounts).where(eq(smtpAccounts.id, id));
  if (!row) throw notFound("smtpAccount");
  authorize(ctx.actor, permission, { departmentId: row.departmentId });
  return row;
}

/** A password for a client to paste: 20 characters from an alphabet without look-alikes (about 115 bits). */
export function generateSmtpPassword(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const bytes = crypto.randomBytes(20);
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join("");
}

/** The password to store: the one given (checked), or a fresh one the caller must show once. */
async function passwordFor(given: string | null | undefined) {
  const generated = given ? null : generateSmtpPassword();
  const password = given ?? generated!;
  assertPasswordAcceptable(password);
  return { hash: await hashPassword(password), generated };
}

export function normalizeUsername(raw: string): string {
  const username = raw.trim().toLowerCase();
  if (!USERNAME_RULE.test(username)) {
    throw invalidInput("smtpUsernameInvalid", { field: "username" });
  }
  return username;
}

function whole(field: "messagesPerMinute" | "maxRecipients", value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value < 1 || value > LIMIT_BOUNDS[field]) {
    throw invalidInput("smtpLimitInvalid", { field, params: { max: LIMIT_BOUNDS[field] } });
  }
  return value;
}

/** Checked limits as stored; each refusal names its field. */
export function checkLimits(limits: Partial<SmtpAccountLimits>) {
  return {
    messagesPerMinute: whole("messagesPerMinute", limits.messagesPerMinute),
    maxRecipients: whole("maxRecipients", limits.maxRecipients),
    allowedIps: parseIpRanges(limits.allowedIps),
    tracking: limits.tracking ?? true,
  };
}

function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } })?.cause ?? error;
  return (cause as { code?: string })?.code === "23505";
}

const taken = (username: string) => conflict("smtpUsernameTaken", { field: "username", params: { username } });

/**
 * Adds an account to a department (a department user's own; an admin names one). With no password
 * one is generated and returned, once; a given password is never returned.
 */
export async function createSmtpAccount(
  ctx: Ctx,
  input: { departmentId?: string | null; username: string; password?: string | null; note?: string } & Partial<SmtpAccountLimits>,
) {
  authorize(ctx.actor, "smtp_accounts.manage");
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  if (!isUuid(departmentId)) throw invalidInput("noDepartment", { field: "departmentId" });
  authorize(ctx.actor, "smtp_accounts.manage", { departmentId });
  const username = normalizeUsername(input.username);
  const limits = checkLimits(input);
  const note = (input.note ?? "").trim().slice(0, 500);
  // Cheap refusals first: bcrypt costs a tenth of a second of CPU.
  const [department] = await ctx.db.select({ id: departments.id, name: departments.name }).from(departments).where(eq(departments.id, departmentId));
  if (!department) throw invalidInput("noDepartment", { field: "departmentId" });
  const [existing] = await ctx.db.select({ id: smtpAccounts.id }).from(smtpAccounts).where(eq(smtpAccounts.username, username));
  if (existing) throw taken(username);
  const password = await passwordFor(input.password);
  try {
    const id = await ctx.db.transaction(async (tx) => {
      const [created] = await tx
        .insert(smtpAccounts)
        .values({ departmentId, username, passwordHash: password.hash, note, createdBy: ctx.actor.label, ...limits })
        .returning({ id: smtpAccounts.id });
      await recordAudit(tx, ctx.actor, {
        action: "smtp_account.create",
        objectType: "smtp_account",
        objectId: created!.id,
        departmentId,
        summary: { key: "smtpAccount.create", params: { username, department: department.name }, notes: [password.generated && "passwordGenerated"] },
        details: { username, ...limits },
      });
      return created!.id;
    });
    return { id, username, departmentId, password: password.generated };
  } catch (error) {
    // Two creations of one name at once: the unique index decides, and the loser hears why.
    if (isUniqueViolation(error)) throw taken(username);
    throw error;
  }
}

/** Sets the given password, or a generated one that is returned once. */
export async function changeSmtpAccountPassword(ctx: Ctx, id: string, given?: string | null) {
  const account = await loadSmtpAccount(ctx, id, "smtp_accounts.manage");
  const password = await passwordFor(given);
  await ctx.db.transaction((tx) =>
    updateAudited(tx, ctx.actor, smtpAccounts, account, { passwordHash: password.hash, updatedAt: new Date() }, {
      action: "smtp_account.password",
      objectType: "smtp_account",
      summary: { key: "smtpAccount.password", params: { username: account.username }, notes: [password.generated && "passwordGenerated"] },
    }),
  );
  return { password: password.generated };
}

/** Disables (the entrance refuses its AUTH) or enables an account; no change, no log entry. */
export async function setSmtpAccountDisabled(ctx: Ctx, id: string, disabled: boolean) {
  const account = await loadSmtpAccount(ctx, id, "smtp_accounts.manage");
  if (account.disabled === disabled) return;
  await ctx.db.transaction((tx) =>
    updateAudited(tx, ctx.actor, smtpAccounts, account, { disabled, updatedAt: new Date() }, {
      action: disabled ? "smtp_account.disable" : "smtp_account.enable",
      objectType: "smtp_account",
      summary: { key: disabled ? "smtpAccount.disable" : "smtpAccount.enable", params: { username: account.username } },
    }),
  );
}

export async function setSmtpAccountLimits(ctx: Ctx, id: string, input: Partial<SmtpAccountLimits>) {
  const account = await loadSmtpAccount(ctx, id, "smtp_accounts.manage");
  const limits = checkLimits(input);
  await ctx.db.transaction((tx) =>
    updateAudited(tx, ctx.actor, smtpAccounts, account, { ...limits, updatedAt: new Date() }, {
      action: "smtp_account.limits",
      objectType: "smtp_account",
      summary: {
        key: "smtpAccount.limits",
        params: {
          username: account.username,
          perMinute: limits.messagesPerMinute ?? null,
          perMessage: limits.maxRecipients ?? null,
          ips: limits.allowedIps ? limits.allowedIps.join(", ") : null,
          tracking: limits.tracking,
        },
      },
      details: limits,
    }),
  );
  return limits;
}

/**
 * Removes an account that never submitted anything. One that did stays, so its tasks keep saying
 * who sent them (as a sender in use stays): disable it instead.
 */
export async function deleteSmtpAccount(ctx: Ctx, id: string) {
  const account = await loadSmtpAccount(ctx, id, "smtp_accounts.manage");
  await ctx.db.transaction(async (tx) => {
    const [used] = await tx.select({ value: count() }).from(tasks).where(eq(tasks.smtpAccountId, id));
    if ((used?.value ?? 0) > 0) {
      throw new AppError("conflict", "smtpAccountHasTasks", { params: { username: account.username, count: used!.value }, details: { tasks: used!.value } });
    }
    await tx.delete(smtpAccounts).where(eq(smtpAccounts.id, id));
    await recordAudit(tx, ctx.actor, {
      action: "smtp_account.delete",
      objectType: "smtp_account",
      objectId: id,
      departmentId: account.departmentId,
      summary: { key: "smtpAccount.delete", params: { username: account.username } },
    });
  });
}
