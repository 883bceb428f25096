/** ISO 8601 UTC with seconds precision (`yyyy-MM-ddTHH:mm:ssZ`), the upstream's time format. */

const UTC_SECONDS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Milliseconds since the epoch, or null unless `text` is exactly a real UTC second. */
export function parseUtcSeconds(text: string): number | null {
  const match = UTC_SECONDS.exec(text);
  if (!match) return null;
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = match.slice(1).map(Number);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Round-tripping rejects what Date.UTC would roll over (Feb 30, 24:00, :60).
  return formatUtcSeconds(ms) === text ? ms : null;
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
