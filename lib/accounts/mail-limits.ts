import { reasonsEn } from "@/lib/i18n/reasons-en";
import "server-only";
import { and, eq, sql, type SQL } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { auxiliaryMail, type AuxiliaryMailKind } from "@/db/schema";
import { AppError } from "@/lib/errors";

/**
 * How much mail outside send tasks may go out: test sends per user and per department, opt-in
 * confirmations per department, and one confirmation per address in a window (a repeated
 * sign-up within it is answered the same but sends nothing new; the first link still works).
 */
export const AUXILIARY_MAIL_LIMITS = {
  testSendsPerUserPerHour: 50,
  testSendsPerDepartmentPerHour: 200,
  confirmationsPerDepartmentPerHour: 300,
  confirmationAddressWindowMinutes: 10,
} as const;

const HOUR = sql`interval '1 hour'`;

/** A transaction-scoped lock, so counting and recording are one step however many instances run. */
async function lock(tx: Executor, key: string) {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`auxiliary_mail:${key}`}))`);
}

async function recent(tx: Executor, where: SQL | undefined, window: SQL): Promise<{ count: number; oldest: Date | null }> {
  const [row] = await queryRows<{ count: number | string; oldest: Date | string | null }>(
    tx,
    sql`select count(*) as count, min(${auxiliaryMail.createdAt}) as oldest from ${auxiliaryMail} where ${where} and ${auxiliaryMail.createdAt} > now() - ${window}`,
  );
  return { count: Number(row?.count ?? 0), oldest: row?.oldest ? new Date(row.oldest) : null };
}

function refuse(what: keyof typeof reasonsEn.terms.limited, limit: number, oldest: Date | null): AppError {
  const retryAfterSeconds = oldest ? Math.max(1, Math.ceil((oldest.getTime() + 3_600_000 - Date.now()) / 1000)) : 3600;
  return new AppError("rate_limited", "hourlyLimit", {
    params: { limited: what, limit, minutes: Math.ceil(retryAfterSeconds / 60) },
    details: { limit, retryAfterSeconds },
  });
}

async function record(tx: Executor, kind: AuxiliaryMailKind, departmentId: string, operatorId: string, emails: string[]) {
  await tx.insert(auxiliaryMail).values(emails.map((email) => ({ kind, departmentId, operatorId, email })));
  await tx.delete(auxiliaryMail).where(and(eq(auxiliaryMail.departmentId, departmentId), sql`${auxiliaryMail.createdAt} < now() - interval '1 day'`));
}

/**
 * Admits test messages to `emails` for a user and a department, or refuses them all with
 * `rate_limited` saying when to try again. Call inside the transaction that reserves their quota.
 */
export async function admitTestSends(tx: Executor, input: { departmentId: string; operatorId: string; emails: string[] }): Promise<void> {
  const n = input.emails.length;
  if (n === 0) return;
  await lock(tx, input.departmentId);
  await lock(tx, input.operatorId);
  const ofKind = eq(auxiliaryMail.kind, "test_send");
  const byUser = await recent(tx, and(ofKind, eq(auxiliaryMail.operatorId, input.operatorId)), HOUR);
  if (byUser.count + n > AUXILIARY_MAIL_LIMITS.testSendsPerUserPerHour) throw refuse("yourTestSends", AUXILIARY_MAIL_LIMITS.testSendsPerUserPerHour, byUser.oldest);
  const byDepartment = await recent(tx, and(ofKind, eq(auxiliaryMail.departmentId, input.departmentId)), HOUR);
  if (byDepartment.count + n > AUXILIARY_MAIL_LIMITS.testSendsPerDepartmentPerHour) {
    throw refuse("departmentTestSends", AUXILIARY_MAIL_LIMITS.testSendsPerDepartmentPerHour, byDepartment.oldest);
  }
  await record(tx, "test_send", input.departmentId, input.operatorId, input.emails);
}

/**
 * Decides whether a confirmation goes to `email` now: "recently_sent" when one went in the
 * address window; refuses with `rate_limited` past the department's hourly limit.
 */
export async function admitConfirmation(tx: Executor, input: { departmentId: string; email: string }): Promise<"send" | "recently_sent"> {
  await lock(tx, input.departmentId);
  const ofKind = and(eq(auxiliaryMail.kind, "subscribe_confirmation"), eq(auxiliaryMail.departmentId, input.departmentId));
  const window = sql`make_interval(mins => ${AUXILIARY_MAIL_LIMITS.confirmationAddressWindowMinutes})`;
  if ((await recent(tx, and(ofKind, eq(auxiliaryMail.email, input.email)), window)).count > 0) return "recently_sent";
  const byDepartment = await recent(tx, ofKind, HOUR);
  if (byDepartment.count >= AUXILIARY_MAIL_LIMITS.confirmationsPerDepartmentPerHour) {
    throw refuse("confirmations", AUXILIARY_MAIL_LIMITS.confirmationsPerDepartmentPerHour, byDepartment.oldest);
  }
  await record(tx, "subscribe_confirmation", input.departmentId, "", [input.email]);
  return "send";
}
