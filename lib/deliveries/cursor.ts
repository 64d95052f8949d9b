/**
 * The delivery listing's keyset cursor, as a page's `nextBefore` gives it: an id ("123": only
 * deliveries with a smaller id), or when the page walked answer times, the answer time in
 * microseconds since the epoch and the id ("1773072060123456_123": only deliveries answered
 * earlier, or at that instant with a smaller id).
 */

const ID_CURSOR = /^[1-9]\d{0,14}$/;
const TIME_CURSOR = /^(-?\d{1,17})_([1-9]\d{0,14})$/;

export type DeliveryCursor = { id: number; sentAtMicros?: string };

/** The cursor's parts, or null when it is not one a page gave. */
export function parseDeliveryCursor(text: string): DeliveryCursor | null {
  if (ID_CURSOR.test(text)) return Number.isSafeInteger(Number(text)) ? { id: Number(text) } : null;
  const time = TIME_CURSOR.exec(text);
  if (!time || !Number.isSafeInteger(Number(time[2]))) return null;
  return { id: Number(time[2]), sentAtMicros: time[1] };
}

/** Whether a cursor has the shape one a page gives (for reading it from a URL). */
export function isDeliveryLogCursor(text: string): boolean {
  return parseDeliveryCursor(text) !== null;
}

/** The cursor that continues below a row: its id, or its answer time and id when the walk was by time. */
export function cursorAfter(row: { id: number | string; sentAtMicros: string | null }, byTime: boolean): string {
  return byTime ? `${row.sentAtMicros}_${row.id}` : String(row.id);
}
