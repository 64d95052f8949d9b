import "server-only";
import crypto from "node:crypto";
import net from "node:net";
import { count, eq, sql } from "drizzle-orm";
import type { Database, Executor } from "@/db/client";
import { settings, users } from "@/db/schema";
import { systemActor, type Actor } from "@/lib/access/actor";
import { assertPasswordAcceptable } from "@/lib/auth/passwords";
import { clientIp } from "@/lib/auth/session";
import { AppError, invalidInput } from "@/lib/errors";
import { createUser } from "./users";

/**
 * First-run setup: the first admin made in the browser (app/(auth)/setup). Only while no admin
 * exists, and only by a caller on this machine or one holding the setup token the server prints
 * when it starts without an admin (lib/server/boot.ts). The token is kept as its SHA-256 only, in
 * the settings table so every instance sharing the database knows it; the newest one printed wins.
 */
const TOKEN_KEY = "first_admin_setup_token";
/** A lock of its own, so two setups submitted at once make one admin. */
const SETUP_LOCK = "fanout:first_admin_setup";

export async function adminExists(db: Executor): Promise<boolean> {
  const [admins] = await db.select({ value: count() }).from(users).where(eq(users.role, "admin"));
  return (admins?.value ?? 0) > 0;
}

function digest(token: string): Buffer {
  return crypto.createHash("sha256").update(token, "utf8").digest();
}

/**
 * A new one-time setup token when no admin exists (its hash replaces any earlier one), else null
 * and any token left over is forgotten. Called by the server at boot, which prints it.
 */
export async function issueSetupToken(db: Database): Promise<string | null> {
  return db.transaction(async (tx) => {
    if (await adminExists(tx)) {
      await tx.delete(settings).where(eq(settings.key, TOKEN_KEY));
      return null;
    }
    const token = crypto.randomBytes(24).toString("base64url");
    const value = { sha256: digest(token).toString("hex") };
    await tx
      .insert(settings)
      .values({ key: TOKEN_KEY, value, updatedAt: new Date() })
      .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: new Date() } });
    return token;
  });
}

/** Whether `token` is the current setup token (compared in constant time); never once an admin exists. */
export async function setupTokenMatches(db: Executor, token: unknown): Promise<boolean> {
  if (typeof token !== "string" || token.length === 0 || token.length > 200) return false;
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, TOKEN_KEY));
  const stored = (row?.value as { sha256?: unknown } | undefined)?.sha256;
  if (typeof stored !== "string" || !/^[0-9a-f]{64}$/.test(stored)) return false;
  if (!crypto.timingSafeEqual(Buffer.from(stored, "hex"), digest(token))) return false;
  return !(await adminExists(db));
}

function isLoopback(ip: string): boolean {
  if (net.isIPv4(ip)) return ip.startsWith("127.");
  return ip === "::1";
}

/** Every address a proxy may have written about the client: X-Forwarded-For, X-Real-IP and Forwarded's for=. */
function forwardedAddresses(headers: Pick<Headers, "get">): string[] {
  const listed = [
    ...(headers.get("x-forwarded-for") ?? "").split(","),
    headers.get("x-real-ip") ?? "",
    ...[...(headers.get("forwarded") ?? "").matchAll(/for=("?)([^;,"]*)\1/gi)].map((match) => match[2] ?? ""),
  ];
  return listed
    .map((value) => value.trim().replace(/^\[([^\]]*)\](:\d+)?$/, "$1").replace(/^([\d.]+):\d+$/, "$1").replace(/^::ffff:(?=[\d.]+$)/i, ""))
    .filter(Boolean);
}

/**
 * A request from this machine: the client (clientIp, which believes forwarding headers only from
 * FANOUT_TRUSTED_PROXIES) is a loopback address, every address a proxy wrote is one too (a reverse
 * proxy on this machine that nobody listed as trusted would otherwise make every visitor look
 * local; Next itself writes the socket's address there), and the page was asked for by a loopback
 * name (so a site that rebinds its own name to 127.0.0.1 in this machine's browser is not local).
 */
export function isLocalRequest(headers: Pick<Headers, "get">): boolean {
  if (!isLoopback(clientIp(headers))) return false;
  if (!forwardedAddresses(headers).every(isLoopback)) return false;
  let host: string;
  try {
    host = new URL(`http://${headers.get("host") ?? ""}`).hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  } catch {
    return false;
  }
  return host === "localhost" || host.endsWith(".localhost") || isLoopback(host);
}

export type SetupCaller = { ip: string; local: boolean };
export type FirstAdminInput = { name: string; email: string; password: string; token?: string };

/** Refused setups say why in `details.reason`, which the page words. */
const refused = (reason: "not_allowed" | "admin_exists") =>
  new AppError(reason === "admin_exists" ? "conflict" : "forbidden", reason === "admin_exists" ? "setupAdminExists" : "setupNotAllowed", { details: { reason } });

/** Whether this caller may see the setup form: from this machine, or with the current token. */
export async function setupAllowed(db: Executor, caller: SetupCaller, token: unknown): Promise<boolean> {
  return caller.local || setupTokenMatches(db, token);
}

/**
 * Creates the first admin through createUser (audited as first-run setup with the caller's IP), in
 * one transaction under an advisory lock that re-checks no admin exists, so setups submitted at
 * once make one admin and the rest are refused; the setup token is forgotten in the same commit.
 */
export async function createFirstAdmin(db: Database, caller: SetupCaller, input: FirstAdminInput): Promise<{ id: string; email: string }> {
  if (!(await setupAllowed(db, caller, input.token))) throw refused(await adminExists(db) ? "admin_exists" : "not_allowed");
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) throw invalidInput("setupNameInvalid", { field: "name" });
  assertPasswordAcceptable(input.password);
  const actor: Actor = { ...systemActor(caller.local ? "first-run setup (this machine)" : "first-run setup (setup token)"), ip: caller.ip };
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${SETUP_LOCK}))`);
    if (await adminExists(tx)) throw refused("admin_exists");
    const created = await createUser({ db: tx, actor }, { name, email: input.email, password: input.password, role: "admin" });
    await tx.delete(settings).where(eq(settings.key, TOKEN_KEY));
    const [row] = await tx.select({ email: users.email }).from(users).where(eq(users.id, created.id));
    return { id: created.id, email: row!.email };
  });
}
