import "server-only";
import { eq } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { settings } from "@/db/schema";
import { authorize } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import type { Ctx } from "@/lib/access/context";
import { DEFAULT_PHONE_REGION, isPhoneRegion } from "@/lib/channels/phone";
import { invalidInput } from "@/lib/errors";

/**
 * Company settings and their defaults; the value type of each is fixed here. A setting never
 * written reads as its default, so a default applies to new installations only when a migration
 * stores the old value for existing ones (0008 does so for requireVerifiedDomains).
 */
export const SETTINGS = {
  requireVerifiedDomains: true as boolean,
  /** Refuse tasks whose template has no {{ unsubscribe_url }} (issue 13); off unless the company turns it on. */
  requireUnsubscribeLink: false as boolean,
  /** Webhook URLs may point at loopback and private addresses (on-premises receivers); FANOUT_WEBHOOKS_ALLOW_PRIVATE does the same. */
  webhooksAllowPrivate: false as boolean,
  /** The reputation guard's thresholds in percent of answers, and the answers a task needs before they count (lib/guard, decision 0071). */
  guardHardBouncePercent: 5 as number,
  guardUnknownUserPercent: 3 as number,
  guardComplaintPercent: 0.3 as number,
  guardMinAnswers: 1000 as number,
  /** Delete per-delivery personal data older than this many months (lib/privacy/retention.ts, decision 0079); null: kept. */
  personalDataRetentionMonths: null as number | null,
  /** The region (ISO 3166-1 alpha-2) national phone numbers are read in: imports and contact edits (lib/channels/phone.ts). */
  phoneRegion: "CN" as string,
};
export type SettingKey = keyof typeof SETTINGS;

export async function readSetting<K extends SettingKey>(db: Executor, key: K): Promise<(typeof SETTINGS)[K]> {
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key));
  return row ? (row.value as (typeof SETTINGS)[K]) : SETTINGS[key];
}

/** The company's phone region; a stored value libphonenumber-js does not know reads as the default. */
export async function readPhoneRegion(db: Executor): Promise<string> {
  const region = await readSetting(db, "phoneRegion");
  return isPhoneRegion(region) ? region : DEFAULT_PHONE_REGION;
}

/** Sets the phone region, refused unless libphonenumber-js knows it (ISO 3166-1 alpha-2: CN, HK, US …). */
export async function writePhoneRegion(ctx: Ctx, region: string) {
  const code = region.trim().toUpperCase();
  if (!isPhoneRegion(code)) throw invalidInput("notPhoneRegion", { field: "region", params: { value: region.slice(0, 10) } });
  await writeSetting(ctx, "phoneRegion", code);
}

export async function writeSetting<K extends SettingKey>(ctx: Ctx, key: K, value: (typeof SETTINGS)[K]) {
  authorize(ctx.actor, "company.update");
  await ctx.db.transaction(async (tx) => {
    await tx
      .insert(settings)
      .values({ key, value, updatedAt: new Date() })
      .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: new Date() } });
    await recordAudit(tx, ctx.actor, { action: "settings.update", objectType: "setting", objectId: key, summary: { key: "settings.update", params: { setting: key, value } } });
  });
}
