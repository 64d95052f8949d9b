import "server-only";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { apiKeys, departments } from "@/db/schema";
import type { Actor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope } from "@/lib/access/policy";
import type { AuditSummaryCatalogue } from "@/lib/i18n/audit-summaries-en";
import { recordAudit } from "@/lib/audit/record";
import { mintApiKeySecret } from "@/lib/auth/api-keys";
import { invalidInput, notFound } from "@/lib/errors";

export type ApiKeyScope = { company: true } | { company: false; departmentId: string };

/** The most requests a minute a key may be given; more is a typo, not a plan. */
export const MAX_KEY_RATE_LIMIT = 1_000_000;

/** A key's own requests-a-minute limit: null (the server's default, FANOUT_RATE_LIMIT_API) or 1…MAX_KEY_RATE_LIMIT. */
function checkedRateLimit(value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value)) throw invalidInput("notWholeNumber", { field: "rateLimit" });
  if (value < 1) throw invalidInput("tooSmall", { field: "rateLimit", params: { min: 1 } });
  if (value > MAX_KEY_RATE_LIMIT) throw invalidInput("tooLarge", { field: "rateLimit", params: { max: MAX_KEY_RATE_LIMIT } });
  return value;
}

/** Creates a key and returns its secret, which is never stored and never shown again. */
export async function createApiKey({ db, actor }: Ctx, input: { name?: string; scope: ApiKeyScope; rateLimitPerMinute?: number | null }) {
  const departmentId = input.scope.company ? null : input.scope.departmentId;
  authorize(actor, "apikey.manage", { departmentId });
  const rateLimitPerMinute = checkedRateLimit(input.rateLimitPerMinute);
  const { secret, prefix, secretHash } = mintApiKeySecret();
  return db.transaction(async (tx) => {
    if (departmentId) {
      const [department] = await tx.select({ id: departments.id }).from(departments).where(eq(departments.id, departmentId));
      if (!department) throw invalidInput("noDepartment", { field: "departmentId" });
    }
    const [created] = await tx
      .insert(apiKeys)
      .values({
        name: input.name?.trim() ?? "",
        prefix,
        secretHash,
        departmentId,
        rateLimitPerMinute,
        createdBy: actor.kind === "user" ? actor.id : null,
      })
      .returning({ id: apiKeys.id });
    await recordAudit(tx, actor, {
      action: "apikey.create",
      objectType: "apikey",
      objectId: created!.id,
      departmentId,
      summary: { key: "apikey.create", params: { scope: departmentId ? "department" : "company", name: input.name ?? "", prefix } },
    });
    return { id: created!.id, secret };
  });
}

export async function listApiKeys({ db, actor }: Ctx) {
  authorize(actor, "apikey.view");
  return db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      departmentId: apiKeys.departmentId,
      departmentName: departments.name,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
      rateLimitPerMinute: apiKeys.rateLimitPerMinute,
    })
    .from(apiKeys)
    .leftJoin(departments, eq(departments.id, apiKeys.departmentId))
    .where(departmentScope(actor, apiKeys.departmentId))
    .orderBy(desc(apiKeys.createdAt))
    .limit(500);
}

export async function revokeApiKey({ db, actor }: Ctx, id: string) {
  return db.transaction(async (tx) => {
    const [key] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for("update");
    if (!key) throw notFound("apiKey");
    authorize(actor, "apikey.manage", { departmentId: key.departmentId });
    if (key.revokedAt) return;
    await tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, id));
    await recordAudit(tx, actor, {
      action: "apikey.revoke",
      objectType: "apikey",
      objectId: id,
      departmentId: key.departmentId,
      summary: { key: "apikey.revoke", params: { name: key.name, prefix: key.prefix } },
    });
  });
}

/**
 * Sets how many requests a minute a key may make (null: the server's default); audited with the
 * old and new limit. Returns the key's secret hash, which names its rate-limit bucket.
 */
export async function setApiKeyRateLimit({ db, actor }: Ctx, id: string, rateLimitPerMinute: number | null): Promise<{ secretHash: string; rateLimitPerMinute: number | null }> {
  const rate = checkedRateLimit(rateLimitPerMinute);
  return db.transaction(async (tx) => {
    const [key] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for("update");
    if (!key) throw notFound("apiKey");
    authorize(actor, "apikey.manage", { departmentId: key.departmentId });
    if (key.revokedAt) throw invalidInput("apiKeyRevoked");
    const changed = { secretHash: key.secretHash, rateLimitPerMinute: rate };
    if (key.rateLimitPerMinute === rate) return changed;
    await tx.update(apiKeys).set({ rateLimitPerMinute: rate }).where(eq(apiKeys.id, id));
    await recordAudit(tx, actor, {
      action: "apikey.update",
      objectType: "apikey",
      objectId: id,
      departmentId: key.departmentId,
      summary: { key: "apikey.rateLimit", params: { name: key.name, prefix: key.prefix, rate, oldRate: key.rateLimitPerMinute } },
    });
    return changed;
  });
}

/**
 * Revokes the live keys a user made, one audited revocation each, inside the caller's
 * transaction: a departed user's key must not go on acting for the company or department.
 */
export async function revokeApiKeysCreatedBy(tx: Executor, actor: Actor, creator: { id: string; email: string }, because: keyof AuditSummaryCatalogue["terms"]["because"]) {
  const revoked = await tx
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.createdBy, creator.id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, departmentId: apiKeys.departmentId });
  for (const key of revoked) {
    await recordAudit(tx, actor, {
      action: "apikey.revoke",
      objectType: "apikey",
      objectId: key.id,
      departmentId: key.departmentId,
      summary: { key: "apikey.revokeWithCreator", params: { name: key.name, prefix: key.prefix, email: creator.email, because } },
    });
  }
  return revoked.length;
}
