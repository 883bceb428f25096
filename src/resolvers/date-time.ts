/** ISO 8601 UTC with seconds precision (`yyyy-MM-ddTHH:mm:ssZ`), the upstream's time format. */

const UTC_SECONDS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Milliseconds since the epoch, or null unless `text` is exactly a real UTC second. */
export function parseUtcSeconds(text: string): number | null {
  const match = UTC_SECONDS.exec(text);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const hour = Number(match[4]);
  const minute = Number(match[5]);
  const second = Number(match[6]);
  // What Date.UTC would roll over (Feb 30, 24:00, :60) or misread (years 0–99 mean 1900–1999)
  // is not a real UTC second. Checked by arithmetic: every DateTime the gateway serializes
  // passes here, and formatting a Date to compare strings cost a measurable share of a query.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** Days in a month of the proleptic Gregorian calendar (what Date uses). */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function formatUtcSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Normalises any time the upstream or a resolver hands over; null when it is not a time. */
export function toUtcSeconds(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : formatUtcSeconds(value.getTime());
  if (typeof value === "number") return Number.isFinite(value) ? formatUtcSeconds(value) : null;
  if (typeof value !== "string") return null;
  const strict = parseUtcSeconds(value);
  if (strict !== null) return value;
  const loose = Date.parse(value);
  return Number.isNaN(loose) ? null : formatUtcSeconds(loose);
}

/** "One year back", as the upstream counts it: 365 days (never more than a calendar year). */
export const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

export function oneYearBefore(ms: number): number {
  return ms - ONE_YEAR_MS;
}

/** The same instant one calendar year later in UTC (29 Feb → 1 Mar of the next year). */
export function addOneUtcYear(ms: number): number {
  const date = new Date(ms);
  date.setUTCFullYear(date.getUTCFullYear() + 1);
  return date.getTime();
}
