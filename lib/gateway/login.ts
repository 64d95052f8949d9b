import "server-only";
import { createHmac, randomBytes } from "node:crypto";
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
  const matches = row ? await verifiedCredentials.check(username, password, row.passwordHash) : await verifyPassword(password, null);
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
 * Credentials verified lately, so that a client that reconnects (many group-send clients open a
 * connection per batch, some per message) and the clients of an office sharing one account do not
 * each cost a bcrypt comparison (~130 ms of the event loop at cost 11, during which nothing else
 * is served). Only successes are kept, for TTL_MS: a wrong password always costs the full
 * comparison, and every refusal looks and takes as long as before. The key is an HMAC, under a key
 * made at start, of the user name, the password and the stored hash, so the map holds no password
 * and a changed password (a new hash) is never found in it. Checks of the same credentials at the
 * same moment share one comparison.
 */
class VerifiedCredentials {
  static readonly TTL_MS = 10 * 60_000;
  static readonly MAX_ENTRIES = 10_000;
  private readonly key = randomBytes(32);
  private readonly verified = new Map<string, number>(); // key → valid until (ms)
  private readonly pending = new Map<string, Promise<boolean>>();

  async check(username: string, password: string, passwordHash: string, now = Date.now()): Promise<boolean> {
    const key = createHmac("sha256", this.key).update(username).update("\0").update(password).update("\0").update(passwordHash).digest("base64");
    const until = this.verified.get(key);
    if (until !== undefined && until > now) return true;
    this.verified.delete(key);
    let comparison = this.pending.get(key);
    if (!comparison) {
      comparison = verifyPassword(password, passwordHash).finally(() => this.pending.delete(key));
      this.pending.set(key, comparison);
    }
    const matches = await comparison;
    if (matches) {
      this.verified.set(key, Date.now() + VerifiedCredentials.TTL_MS);
      // Oldest first: a Map iterates in insertion order.
      while (this.verified.size > VerifiedCredentials.MAX_ENTRIES) this.verified.delete(this.verified.keys().next().value!);
    }
    return matches;
  }
}

const verifiedCredentials = new VerifiedCredentials();

/**
 * The caller an SMTP account is (Actor kind smtp): a department caller of its own department,
 * named `smtp:<username>` in the operation log and on the tasks it creates, with the client's IP.
 */
export function smtpActor(account: GatewayAccount, ip: string): Actor {
  return { kind: "smtp", id: account.id, label: `smtp:${account.username}`, role: "department", departmentId: account.departmentId, readable: [account.departmentId], ip };
}
