import "server-only";
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { smtpAccounts } from "@/db/schema";
import type { Actor } from "@/lib/access/actor";
import { verifyPassword } from "@/lib/auth/passwords";
import { ipInRanges } from "./ip-ranges";

/** What the entrance keeps of the account a client logged in with, for the rest of its connection. */
export type GatewayAccount = {
  id: string;
  departmentId: string;
  username: string;
  messagesPerMinute: number | null;
  maxRecipients: number | null;
  tracking: boolean;
};

export type LoginRefusal = "unknown_user" | "disabled" | "wrong_password" | "ip_not_allowed";
export type LoginResult = { ok: true; account: GatewayAccount } | { ok: false; reason: LoginRefusal };

/** Longer than any user name or password an account can have: compared against the decoy as given, cut here so a hostile one costs no more. */
const MAX_CREDENTIAL_CHARS = 512;

/**
 * AUTH PLAIN / LOGIN against the department SMTP accounts (域帐号). Every refusal looks the same
 * to the client (535 5.7.8, decided by the caller) and costs the same: an unknown user name is
 * compared against a decoy hash (verifyPassword with no hash), a disabled account and a login from
 * outside the account's IP ranges against the account's own, so neither the answer nor its timing
 * says whether the name exists. The reason is for the server log. A success stamps the account's
 * last use and address (bookkeeping, not an audited change).
 * verifyPassword throws PasswordWorkBusy when too many hashes wait: the caller answers 454.
 */
export async function checkLogin(db: Database, input: { username: string; password: string; ip: string }): Promise<LoginResult> {
  const username = input.username.slice(0, MAX_CREDENTIAL_CHARS).toLowerCase();
  const password = input.password.slice(0, MAX_CREDENTIAL_CHARS);
  const [row] = username === "" ? [] : await db.select().from(smtpAccounts).where(eq(smtpAccounts.username, username));
  const matches = await verifyPassword(password, row?.passwordHash ?? null);
  if (!row) return { ok: false, reason: "unknown_user" };
  if (!matches) return { ok: false, reason: "wrong_password" };
  if (row.disabled) return { ok: false, reason: "disabled" };
  if (!ipInRanges(row.allowedIps, input.ip)) return { ok: false, reason: "ip_not_allowed" };
  await db.update(smtpAccounts).set({ lastUsedAt: new Date(), lastIp: input.ip }).where(eq(smtpAccounts.id, row.id));
  return {
    ok: true,
    account: { id: row.id, departmentId: row.departmentId, username: row.username, messagesPerMinute: row.messagesPerMinute, maxRecipients: row.maxRecipients, tracking: row.tracking },
  };
}

/**
 * The caller an SMTP account is (Actor kind smtp): a department caller of its own department,
 * named `smtp:<username>` in the operation log and on the tasks it creates, with the client's IP.
 */
export function smtpActor(account: GatewayAccount, ip: string): Actor {
  return { kind: "smtp", id: account.id, label: `smtp:${account.username}`, role: "department", departmentId: account.departmentId, readable: [account.departmentId], ip };
}
