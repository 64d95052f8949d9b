import type { Executor } from "@/db/client";
import { readEnv } from "@/lib/config/env";
import { addToRollups, type RollupCount } from "@/lib/deliveries/rollups";
import { startOfZonedDay } from "@/lib/time/zone";

export type RollupRow = {
  day: string;
  departmentId: string;
  clientIp: string;
  senderDomain: string;
  recipientDomain: string;
} & Partial<Record<CamelCount, number>>;

type CamelCount<S extends string = RollupCount> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCount<Tail>>}` : S;

/**
 * Report data for tests, written the way the engine and the feedback paths write it (both
 * rollup grains), on the given calendar day in FANOUT_TIMEZONE.
 */
export async function addRollupRows(db: Executor, rows: RollupRow[]) {
  for (const { day, departmentId, clientIp, senderDomain, recipientDomain, ...counts } of rows) {
    const snake = Object.fromEntries(Object.entries(counts).map(([name, value]) => [name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), value]));
    const midday = new Date(startOfZonedDay(day, readEnv().timeZone).getTime() + 12 * 3_600_000);
    await addToRollups(db, { departmentId, clientIp, senderDomain }, [{ recipientDomain, counts: snake }], midday);
  }
}
