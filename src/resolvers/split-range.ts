/**
 * Splits a long time range into consecutive parts the upstream accepts (at most 31 days each).
 * Ranges are half-open, `[start, end)`, as one task's StartTime/EndTime are (the emulator's
 * export rows run `start <= t < end`): each part's end is the next part's start, the first part
 * starts at the range's start and the last ends at its end, so the parts cover the range
 * exactly, with no gap and no overlap. Parts are cut greedily from the start in whole 31-day
 * steps (UTC, no calendar or daylight-saving arithmetic); only the last part may be shorter.
 * Pure: no clock, no I/O.
 */
import { LIMITS } from "./input-rules.js";

export interface RangePart {
  /** 0-based position in time order. */
  index: number;
  /** Epoch ms, inclusive. */
  startMs: number;
  /** Epoch ms, exclusive (= the next part's startMs). */
  endMs: number;
}

/**
 * The parts covering `[startMs, endMs)`, each at most `maxPartMs` long. Throws RangeError on a
 * range the caller should have refused (non-finite, end not after start, part length not
 * positive), so a bug can never turn into zero tasks or an endless loop.
 */
export function splitRange(startMs: number, endMs: number, maxPartMs: number = LIMITS.maxSpanMs): RangePart[] {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) throw new RangeError("splitRange: times must be finite");
  if (endMs <= startMs) throw new RangeError("splitRange: end must be after start");
  if (!Number.isFinite(maxPartMs) || maxPartMs <= 0) throw new RangeError("splitRange: part length must be positive");
  const parts: RangePart[] = [];
  for (let start = startMs; start < endMs; start += maxPartMs) {
    parts.push({ index: parts.length, startMs: start, endMs: Math.min(start + maxPartMs, endMs) });
  }
  return parts;
}

