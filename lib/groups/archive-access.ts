import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { contacts, groups, poolMembers, suppressions } from "@/db/schema";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { withErasedKeys } from "@/lib/addresses/erased";
import { isUuid } from "@/lib/ids";
import { signToken, verifyToken } from "@/lib/tokens/signed";
import type { Archive } from "./archive";

/*
 * A member's way into the archive: a signed link naming the group and the address it was mailed
 * to (in every post's List-Archive), good for 180 days, and honoured only while that address is
 * still an active member of the group's pool. Leaving the pool, unsubscribing or being suppressed
 * closes it at once, whatever the link's age.
 */

const PURPOSE = "group-archive";
const TTL_SECONDS = 180 * 24 * 3600;

/** `/g/<token>`: the archive as `email` may read it. */
export function archiveLink(groupId: string, email: string): string {
  return `/g/${signToken(PURPOSE, { g: groupId, e: email.toLowerCase() }, TTL_SECONDS)}`;
}

/**
 * Whether `email` is an active member of the pool: in it, its contact active, and not on the
 * department's suppression list (by address or, once erased, by its key).
 */
export async function isActiveMember(db: Executor, group: { departmentId: string; poolId: string }, email: string): Promise<boolean> {
  const checked = normalizeAddress(email);
  if (!checked.ok) return false;
  const [member] = await db
    .select({ id: contacts.id })
    .from(contacts)
    .innerJoin(poolMembers, and(eq(poolMembers.contactId, contacts.id), eq(poolMembers.poolId, group.poolId)))
    .where(
      and(
        eq(contacts.departmentId, group.departmentId),
        eq(contacts.email, checked.email),
        eq(contacts.status, "active"),
        sql`not exists (select 1 from ${suppressions} where ${and(eq(suppressions.departmentId, group.departmentId), inArray(suppressions.email, withErasedKeys([checked.email])))})`,
      ),
    );
  return member !== undefined;
}

export type MemberArchive = { archive: Archive; group: { name: string; address: string }; email: string };

/** The archive a member's link opens: null for a forged or expired link, a group that is gone, or an address that is no longer an active member. */
export async function memberArchive(db: Executor, token: string): Promise<MemberArchive | null> {
  const payload = verifyToken<{ g?: unknown; e?: unknown }>(PURPOSE, token);
  if (!payload || typeof payload.g !== "string" || typeof payload.e !== "string" || !isUuid(payload.g)) return null;
  const [group] = await db
    .select({ id: groups.id, departmentId: groups.departmentId, poolId: groups.poolId, name: groups.name, address: groups.address })
    .from(groups)
    .where(eq(groups.id, payload.g));
  if (!group || !(await isActiveMember(db, group, payload.e))) return null;
  return {
    archive: { db, groupId: group.id, departmentId: group.departmentId, sentOnly: true },
    group: { name: group.name, address: group.address },
    email: payload.e,
  };
}
