"use server";

import { headers } from "next/headers";
import { getDb } from "@/lib/database";
import { publicActionIp } from "@/lib/entry/request";
import { unsubscribeDelivery } from "@/lib/feedback/unsubscribe";
import { readUnsubscribeToken } from "@/lib/tokens/delivery-links";

export type UnsubscribeState = { ok: true; email: string; department: string; already: boolean } | { ok: false };

/** Public by design: the signed token is the authority, and a forged one changes nothing. */
export async function unsubscribeFromMessage(token: string): Promise<UnsubscribeState> {
  if (typeof token !== "string") return { ok: false };
  const ip = await publicActionIp();
  const deliveryId = readUnsubscribeToken(token);
  if (deliveryId === null) return { ok: false };
  const headerList = await headers();
  const result = await unsubscribeDelivery(await getDb(), deliveryId, {
    method: "page",
    ip,
    userAgent: headerList.get("user-agent") ?? undefined,
  });
  return result ? { ok: true, ...result } : { ok: false };
}
