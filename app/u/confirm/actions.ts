"use server";

import { getDb } from "@/lib/database";
import { publicActionIp } from "@/lib/entry/request";
import { confirmSubscription as confirm } from "@/lib/pools/subscribe";

export type ConfirmAnswer = "confirmed" | "used" | "invalid";

/** Public by design: the signed token is the authority, and a bad, expired or used one changes nothing. */
export async function confirmSubscription(token: string): Promise<{ outcome: ConfirmAnswer }> {
  if (typeof token !== "string") return { outcome: "invalid" };
  await publicActionIp();
  const result = await confirm(await getDb(), token);
  return { outcome: result === null ? "invalid" : result.status };
}
