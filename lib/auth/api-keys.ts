import "server-only";
import crypto from "node:crypto";
import { and, eq, isNull, or } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { apiKeys, departments, users } from "@/db/schema";
import type { Actor } from "@/lib/access/actor";

/**
 * API keys as requests present them: the key format and its check. Making, listing and revoking
 * keys are account management (lib/accounts/api-keys.ts).
 */
const KEY_PREFIX = "fo_";

/** What is stored of a key's secret (api_keys.secret_hash); also the name of the key's rate-limit bucket. */
export function hashSecret(secret: string) {
  return crypto.createHash("sha256").update(secret).digest("hex");
}

/** A new key's secret, shown once and never stored, and what is stored of it: its start and its hash. */
export function mintApiKeySecret(): { secret: string; prefix: string; secretHash: string } {
  const secret = `${KEY_PREFIX}${crypto.randomBytes(24).toString("base64url")}`;
  return { secret, prefix: secret.slice(0, 10), secretHash: hashSecret(secret) };
}

/** Resolves a bearer key to the caller it stands for, or null when it is unknown or revoked. */
export async function actorFromApiKey(db: Executor, secret: string, ip: string): Promise<Actor | null> {
  return (await apiKeyCaller(db, secret, ip))?.actor ?? null;
}

/** The caller a bearer key stands for with the key's own rate limit (null: the default), or null when the key is unknown or revoked. */
export async function apiKeyCaller(db: Executor, secret: string, ip: string): Promise<{ actor: Actor; rateLimitPerMinute: number | null } | null> {
  if (!secret.startsWith(KEY_PREFIX) || secret.length > 200) return null;
  const [key] = await db
    .select({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, departmentId: apiKeys.departmentId, rateLimitPerMinute: apiKeys.rateLimitPerMinute, disabled: departments.disabled })
    .from(apiKeys)
    .leftJoin(departments, eq(departments.id, apiKeys.departmentId))
    .leftJoin(users, eq(users.id, apiKeys.createdBy))
    // A key whose maker is disabled is refused even if it escaped revocation (made in the same instant, or before revocation existed).
    .where(and(eq(apiKeys.secretHash, hashSecret(secret)), isNull(apiKeys.revokedAt), or(isNull(apiKeys.createdBy), eq(users.disabled, false))));
  if (!key || key.disabled) return null;
  await db.update(apiKeys).set({ lastUsedAt: new Date() }).where(eq(apiKeys.id, key.id));
  const actor: Actor = {
    kind: "apikey",
    id: key.id,
    label: key.name ? `API key "${key.name}"` : `API key ${key.prefix}…`,
    role: key.departmentId ? "department" : "admin",
    departmentId: key.departmentId,
    readable: key.departmentId ? [key.departmentId] : "all",
    ip,
  };
  return { actor, rateLimitPerMinute: key.rateLimitPerMinute };
}
