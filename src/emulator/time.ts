/** Time helpers for the API's one timestamp format: ISO 8601 UTC to the second, `yyyy-MM-ddTHH:mm:ssZ`. */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const ISO_SECONDS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Epoch ms, or undefined when the text is not exactly `yyyy-MM-ddTHH:mm:ssZ` or not a real date. */
export function parseIsoSeconds(text: string): number | undefined {
  const m = ISO_SECONDS.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(text);
  // Date.parse rolls over 2023-02-30 and 24:00:00; a round trip catches both.
  if (Number.isNaN(ms) || formatIsoSeconds(ms) !== text) return undefined;
  return ms;
}

export function formatIsoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
