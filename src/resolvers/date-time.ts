/** ISO 8601 UTC with seconds precision (`yyyy-MM-ddTHH:mm:ssZ`), the upstream's time format. */

/** Milliseconds since the epoch, or null unless `text` is exactly a real UTC second. */
export function parseUtcSeconds(text: string): number | null {
  // Read digit by digit rather than with a regular expression: every DateTime the gateway
  // serializes passes here (four per task on a list), and this is several times cheaper.
  if (text.length !== 20 || text.charCodeAt(19) !== Z) return null;
  if (text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(10) !== T) return null;
  if (text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return null;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  // What Date.UTC would roll over (Feb 30, 24:00, :60) or misread (years 0–99 mean 1900–1999)
  // is not a real UTC second (a -1 from `digits` fails these too).
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

const [ZERO, NINE, DASH, COLON, T, Z] = ["0", "9", "-", ":", "T", "Z"].map((c) => c.charCodeAt(0)) as [number, number, number, number, number, number];

/** The decimal number in `text[start, start + length)`, or -1 when any of it is not a digit. */
function digits(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < ZERO || code > NINE) return -1;
    value = value * 10 + (code - ZERO);
  }
  return value;
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
