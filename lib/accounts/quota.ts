/** Quota arithmetic shared by the company and its departments; null total means unlimited. */
export type QuotaCounters = { total: number | null; used: number; reserved: number };

export function remainingQuota({ total, used, reserved }: QuotaCounters): number | null {
  return total === null ? null : Math.max(0, total - used - reserved);
}

export const quotaSchemaLimit = 1_000_000_000_000;
