const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

function partsIn(date: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(date);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour"), minute: get("minute"), second: get("second") };
}

/** How far the zone's wall clock is ahead of UTC at that instant, in milliseconds. */
export function zoneOffsetMs(date: Date, timeZone: string): number {
  const p = partsIn(date, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(date.getTime() / 1000) * 1000;
}

export function isIsoDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === value;
}

/** The instant a calendar day (YYYY-MM-DD) begins in the zone, daylight saving included. */
export function startOfZonedDay(isoDate: string, timeZone: string): Date {
  const match = DATE_PATTERN.exec(isoDate);
  if (!match || !isIsoDate(isoDate)) throw new Error(`"${isoDate}" is not a date (YYYY-MM-DD)`);
  const wallMidnight = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  let instant = wallMidnight;
  for (let pass = 0; pass < 3; pass++) instant = wallMidnight - zoneOffsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

/** The calendar day (YYYY-MM-DD) an instant falls on in the zone. */
export function zonedDate(date: Date, timeZone: string): string {
  const p = partsIn(date, timeZone);
  return `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
}

export function addDays(isoDate: string, days: number): string {
  const [year, month, day] = isoDate.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** "2026-11-25 16:02:31" in the zone: the form the console's tables use. */
export function formatInZone(date: Date, timeZone: string): string {
  const p = partsIn(date, timeZone);
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

/** The instant a wall-clock time ("2026-11-25T18:30", as a datetime-local field gives it) names in the zone. */
export function instantOfZonedTime(local: string, timeZone: string): Date {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!match || !isIsoDate(match[1]!)) throw new Error(`"${local}" is not a date and time (YYYY-MM-DDTHH:MM)`);
  const [year, month, day] = match[1]!.split("-").map(Number) as [number, number, number];
  const wall = Date.UTC(year, month - 1, day, Number(match[2]), Number(match[3]), Number(match[4] ?? 0));
  let instant = wall;
  for (let pass = 0; pass < 3; pass++) instant = wall - zoneOffsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

/** The datetime-local form ("2026-11-25T18:30") of an instant in the zone. */
export function zonedLocalTime(date: Date, timeZone: string): string {
  return formatInZone(date, timeZone).slice(0, 16).replace(" ", "T");
}
