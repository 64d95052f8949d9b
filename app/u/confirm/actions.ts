"use server";

import { getDb } from "@/db/client";
import { confirmSubscription as confirm } from "@/lib/pools/subscribe";

/** Public by design: the signed token is the authority, and a bad or expired one changes nothing. */
export async function confirmSubscription(token: string): Promise<{ ok: boolean }> {
  if (typeof token !== "string") return { ok: false };
  const result = await confirm(await getDb(), token);
  return { ok: result !== null };
}
