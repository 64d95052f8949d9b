import "server-only";
import type { Ctx } from "@/lib/access/context";
import { erasedKey } from "@/lib/addresses/erased";
import { recordAudit } from "@/lib/audit/record";
import { lookupAddress, type Holdings } from "./holdings";

/**
 * The JSON download of everything held about an address (the person's copy, 个人信息副本). Handing
 * it out is recorded in the operation log, under the address's key: the log must not hold in clear
 * what a later erasure takes out of every other table.
 */
export async function exportAddress(ctx: Ctx, address: string): Promise<{ exportedAt: string } & Holdings> {
  const holdings = await lookupAddress(ctx, address);
  await recordAudit(ctx.db, ctx.actor, {
    action: "privacy.export",
    objectType: "address",
    objectId: erasedKey(holdings.email),
    summary: { key: "privacy.export", params: { contacts: holdings.contacts.length, deliveries: holdings.deliveries.length } },
  });
  return { exportedAt: new Date().toISOString(), ...holdings };
}
