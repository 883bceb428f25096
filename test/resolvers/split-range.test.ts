/** splitRange: consecutive half-open parts of at most 31 days that cover a range exactly. */
import { describe, expect, test } from "vitest";
import { addOneUtcYear, parseUtcSeconds } from "../../src/resolvers/date-time.js";
import { LIMITS, LONG_RANGE_SPAN, SINGLE_TASK_SPAN } from "../../src/resolvers/input-rules.js";
import { splitRange, type RangePart } from "../../src/resolvers/split-range.js";
import { partIdempotencyKey, partTaskName } from "../../src/resolvers/create-usage-exports.js";

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;
const MAX = LIMITS.maxSpanMs;
const at = (text: string): number => parseUtcSeconds(text)!;

/** No gap, no overlap, each part within the limit, indexes in order. */
function expectExactCover(parts: RangePart[], start: number, end: number): void {
  expect(parts.length).toBeGreaterThan(0);
  expect(parts[0]!.startMs).toBe(start);
  expect(parts.at(-1)!.endMs).toBe(end);
  parts.forEach((part, i) => {
    expect(part.index).toBe(i);
    expect(part.endMs).toBeGreaterThan(part.startMs);
    expect(part.endMs - part.startMs).toBeLessThanOrEqual(MAX);
    if (i > 0) expect(part.startMs).toBe(parts[i - 1]!.endMs);
  });
}

describe("splitRange", () => {
  test("a range within 31 days is one part, unchanged", () => {
    const start = at("2024-03-01T00:00:00Z");
    expect(splitRange(start, start + 7 * DAY)).toEqual([{ index: 0, startMs: start, endMs: start + 7 * DAY }]);
  });

  test("exactly 31 days is one part (the single create accepts it too)", () => {
    const start = at("2024-01-01T00:00:00Z");
    expect(splitRange(start, start + MAX)).toHaveLength(1);
    expect(SINGLE_TASK_SPAN.allows(start, start + MAX)).toBe(true);
  });

  test("31 days and one second are two parts; the second is one second long", () => {
    const start = at("2024-01-01T00:00:00Z");
    const parts = splitRange(start, start + MAX + SECOND);
    expect(parts).toHaveLength(2);
    expect(parts[1]).toEqual({ index: 1, startMs: start + MAX, endMs: start + MAX + SECOND });
    expectExactCover(parts, start, start + MAX + SECOND);
  });

  test("exactly 62 days are two full parts, boundaries shared (end of one = start of the next)", () => {
    const start = at("2024-05-10T12:34:56Z");
    const parts = splitRange(start, start + 2 * MAX);
    expect(parts.map((p) => [p.startMs, p.endMs])).toEqual([
      [start, start + MAX],
      [start + MAX, start + 2 * MAX],
    ]);
  });

  test("parts keep the start's time of day (UTC steps, no calendar arithmetic)", () => {
    const start = at("2023-10-28T16:00:00Z");
    const parts = splitRange(start, at("2024-04-01T16:00:00Z"));
    for (const part of parts) expect(new Date(part.startMs).toISOString()).toMatch(/T16:00:00\.000Z$/);
  });

  test.each([
    ["leap year, whole 2024", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", 366],
    ["common year, whole 2023", "2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 365],
    ["across 29 February", "2024-02-01T00:00:00Z", "2024-04-01T00:00:00Z", 60],
    ["from 29 February to 1 March a year later", "2024-02-29T00:00:00Z", "2025-03-01T00:00:00Z", 366],
  ])("%s: %s → %s covers %i days", (_name, from, to, days) => {
    const start = at(from);
    const end = at(to);
    expect(end - start).toBe(days * DAY);
    const parts = splitRange(start, end);
    expectExactCover(parts, start, end);
    expect(parts).toHaveLength(Math.ceil((days * DAY) / MAX));
    expect(LONG_RANGE_SPAN.allows(start, end)).toBe(true);
  });

  test("the longest accepted range (one leap year) needs 12 parts", () => {
    const start = at("2024-01-01T00:00:00Z");
    expect(splitRange(start, addOneUtcYear(start))).toHaveLength(12);
  });

  test("second-precision ranges stay on whole seconds", () => {
    const start = at("2024-01-01T00:00:01Z");
    const end = at("2024-06-30T23:59:59Z");
    const parts = splitRange(start, end);
    expectExactCover(parts, start, end);
    for (const part of parts) {
      expect(part.startMs % SECOND).toBe(0);
      expect(part.endMs % SECOND).toBe(0);
    }
  });

  test.each([
    ["end equal to start", 0, 0],
    ["end before start", DAY, 0],
    ["not finite", 0, Number.POSITIVE_INFINITY],
  ])("refuses %s instead of returning no parts", (_name, start, end) => {
    expect(() => splitRange(start, end)).toThrow(RangeError);
  });

  test("refuses a part length that is not positive", () => {
    expect(() => splitRange(0, DAY, 0)).toThrow(RangeError);
  });
});

describe("span limits", () => {
  test("one year is a calendar year in UTC: 29 February moves to 1 March", () => {
    expect(new Date(addOneUtcYear(at("2024-02-29T10:00:00Z"))).toISOString()).toBe("2025-03-01T10:00:00.000Z");
    expect(new Date(addOneUtcYear(at("2023-03-01T00:00:00Z"))).toISOString()).toBe("2024-03-01T00:00:00.000Z");
  });

  test("a second past one year is refused", () => {
    const start = at("2024-01-01T00:00:00Z");
    expect(LONG_RANGE_SPAN.allows(start, addOneUtcYear(start))).toBe(true);
    expect(LONG_RANGE_SPAN.allows(start, addOneUtcYear(start) + SECOND)).toBe(false);
    expect(SINGLE_TASK_SPAN.allows(start, start + MAX + SECOND)).toBe(false);
  });
});

describe("part keys and names", () => {
  test("part keys are <key>#<index>; keys too long for that are hashed first", () => {
    expect(partIdempotencyKey("order-42", 3)).toBe("order-42#3");
    const long = "k".repeat(255);
    const derived = partIdempotencyKey(long, 11);
    expect(derived).toMatch(/^[0-9a-f]{64}#11$/);
    expect(partIdempotencyKey(long, 11)).toBe(derived);
    expect(partIdempotencyKey(`${"k".repeat(254)}x`, 11)).not.toBe(derived);
  });

  test("multi-part task names say which part, within 64 characters", () => {
    expect(partTaskName("Yearly report", 2, 12)).toBe("Yearly report (3/12)");
    expect(partTaskName("Only one", 0, 1)).toBe("Only one");
    expect(partTaskName(null, 0, 5)).toBeNull();
    const long = partTaskName("年".repeat(64), 11, 12)!;
    expect(long).toHaveLength(64);
    expect(long.endsWith(" (12/12)")).toBe(true);
    // An emoji (two UTF-16 units) at the cut is dropped whole, not split.
    expect(partTaskName(`${"a".repeat(57)}😀xyz`, 0, 2)).toBe(`${"a".repeat(57)} (1/2)`);
  });
});
