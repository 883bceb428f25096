import { describe, expect, test } from "vitest";
import { cursorAnchor, cursorBinding, encodeCursor, readCursor } from "../../src/reading/cursors.js";
import { DEFAULT_WINDOW_SIZE, LOADER_PAGE_SIZE, MAX_WINDOW_SIZE, pageCount, pagesForRange } from "../../src/reading/paging.js";
import {
  InvalidWindowError,
  decodeCursor,
  decodeCursorPosition,
  needsTotalCount,
  parseWindowArgs,
  windowPageInfo,
  windowRange,
  type ConnectionArgs,
} from "../../src/reading/relay-window.js";

/** Relay's algorithm over a materialised list: the reference the arithmetic must match. */
function referenceWindow(total: number, args: ConnectionArgs): number[] {
  let edges = Array.from({ length: total }, (_, i) => i);
  if (args.after != null) {
    const after = decodeCursor(args.after, "after");
    edges = edges.filter((o) => o > after);
  }
  if (args.before != null) {
    const before = decodeCursor(args.before, "before");
    edges = edges.filter((o) => o < before);
  }
  if (args.first != null) edges = edges.slice(0, args.first);
  if (args.last != null) edges = edges.slice(Math.max(0, edges.length - args.last));
  if (args.first == null && args.last == null) edges = edges.slice(0, DEFAULT_WINDOW_SIZE);
  return edges;
}

function expectRefused(run: () => unknown, field: string, rule: string): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidWindowError);
    expect(error).toMatchObject({ field, rule });
    return;
  }
  expect.fail(`expected ${field} to be refused (${rule})`);
}

describe("cursors", () => {
  test("round-trip any offset and stay opaque base64url", () => {
    for (const offset of [0, 1, 49, 50, 51, 12_345, 4_999_999]) {
      const cursor = encodeCursor(offset);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor, "after")).toBe(offset);
    }
  });

  test("carry the binding of the list that issued them; another list's cursor is refused as cursor-mismatch", () => {
    const tasks = cursorBinding("tasks", "USAGE_DETAIL", "");
    const users = cursorBinding("tasks", "USER_USAGE", "");
    expect(tasks).not.toBe(users);
    expect(cursorBinding("tasks", "USAGE_DETAIL", "")).toBe(tasks);
    const anchor = cursorAnchor({ taskId: "10000001", createTime: "2026-11-01T00:00:00Z" }, 30);
    for (const cursor of [encodeCursor(7, null, tasks), encodeCursor(7, anchor, tasks)]) {
      expect(readCursor(cursor)).toMatchObject({ offset: 7, binding: tasks });
      expect(decodeCursorPosition(cursor, "after", { binding: tasks, acceptsUnbound: false }).offset).toBe(7);
      expectRefused(() => decodeCursorPosition(cursor, "after", { binding: users, acceptsUnbound: true }), "after", "cursor-mismatch");
      expectRefused(() => parseWindowArgs({ before: cursor }, { binding: users, acceptsUnbound: true }), "before", "cursor-mismatch");
    }
  });

  test("unbound (older) cursors are taken only where the issuer says so", () => {
    const tasks = cursorBinding("tasks", "USAGE_DETAIL", "");
    expect(readCursor(encodeCursor(7))).toMatchObject({ offset: 7, binding: null });
    expect(parseWindowArgs({ after: encodeCursor(7) }, { binding: tasks, acceptsUnbound: true }).lowerBound).toBe(8);
    expectRefused(() => parseWindowArgs({ after: encodeCursor(7) }, { binding: tasks, acceptsUnbound: false }), "after", "cursor-mismatch");
    // Without an issuer (callers that do not bind), any well-formed cursor is an offset.
    expect(decodeCursor(encodeCursor(7, null, tasks), "after")).toBe(7);
  });

  test("a malformed binding makes a malformed cursor", () => {
    const cursor = Buffer.from(JSON.stringify({ v: 1, o: 7, b: "short" })).toString("base64url");
    expectRefused(() => decodeCursor(cursor, "after"), "after", "cursor-format");
  });

  test("tolerate extra payload members (room for a neighbour fingerprint)", () => {
    const cursor = Buffer.from(JSON.stringify({ v: 1, o: 7, n: "abc" })).toString("base64url");
    expect(decodeCursor(cursor, "before")).toBe(7);
  });

  test.each([
    ["empty", ""],
    ["not base64", "%%%"],
    ["not JSON", Buffer.from("hello").toString("base64url")],
    ["unknown version", Buffer.from(JSON.stringify({ v: 2, o: 1 })).toString("base64url")],
    ["negative offset", Buffer.from(JSON.stringify({ v: 1, o: -1 })).toString("base64url")],
    ["fractional offset", Buffer.from(JSON.stringify({ v: 1, o: 1.5 })).toString("base64url")],
    ["offset past the last page", Buffer.from(JSON.stringify({ v: 1, o: 5_000_000 })).toString("base64url")],
    ["string offset", Buffer.from(JSON.stringify({ v: 1, o: "3" })).toString("base64url")],
    ["array", Buffer.from("[1,2]").toString("base64url")],
    ["too long", "A".repeat(300)],
  ])("refuse %s, naming the argument", (_name, cursor) => {
    expectRefused(() => decodeCursor(cursor, "after"), "after", "cursor-format");
    expectRefused(() => parseWindowArgs({ before: cursor }), "before", "cursor-format");
  });
});

describe("window sizes", () => {
  test(`first/last 1–${MAX_WINDOW_SIZE}`, () => {
    expect(parseWindowArgs({ first: MAX_WINDOW_SIZE }).first).toBe(MAX_WINDOW_SIZE);
    expect(parseWindowArgs({ last: 1 }).last).toBe(1);
    // Below 1 is refused (it was an empty window before the day-one contract).
    expectRefused(() => parseWindowArgs({ last: 0 }), "last", "min-1");
    expectRefused(() => parseWindowArgs({ first: 0 }), "first", "min-1");
    expectRefused(() => parseWindowArgs({ first: MAX_WINDOW_SIZE + 1 }), "first", "max-100");
    expectRefused(() => parseWindowArgs({ last: 1000 }), "last", "max-100");
    expectRefused(() => parseWindowArgs({ first: -1 }), "first", "non-negative");
    expectRefused(() => parseWindowArgs({ last: -5 }), "last", "non-negative");
  });

  test("only `last` without `before` needs the total first", () => {
    expect(needsTotalCount(parseWindowArgs({ last: 5 }))).toBe(true);
    expect(needsTotalCount(parseWindowArgs({ last: 5, after: encodeCursor(3) }))).toBe(true);
    expect(needsTotalCount(parseWindowArgs({ last: 5, before: encodeCursor(30) }))).toBe(false);
    expect(needsTotalCount(parseWindowArgs({ first: 5 }))).toBe(false);
    expect(needsTotalCount(parseWindowArgs({}))).toBe(false);
    expect(() => windowRange(parseWindowArgs({ last: 5 }))).toThrow(/total/);
  });
});

describe("pages", () => {
  test("cover exactly the offsets of a range", () => {
    expect(pagesForRange({ start: 0, end: 0 })).toEqual([]);
    expect(pagesForRange({ start: 0, end: 1 })).toEqual([1]);
    expect(pagesForRange({ start: 0, end: 50 })).toEqual([1]);
    expect(pagesForRange({ start: 0, end: 51 })).toEqual([1, 2]);
    expect(pagesForRange({ start: 49, end: 51 })).toEqual([1, 2]);
    expect(pagesForRange({ start: 50, end: 100 })).toEqual([2]);
    expect(pagesForRange({ start: 25, end: 125 })).toEqual([1, 2, 3]);
    expect(pageCount(0)).toBe(0);
    expect(pageCount(50)).toBe(1);
    expect(pageCount(51)).toBe(2);
  });
});

describe("windows match Relay's algorithm for every shape", () => {
  const totals = [0, 1, 49, 50, 51, 100, 101, 137, 250];
  const sizes = [null, 0, 1, 3, 49, 50, 51, 100];

  function offsets(total: number): (number | null)[] {
    return [null, 0, 1, 24, 48, 49, 50, 51, 99, 100, total - 1, total, total + 5].filter(
      (o): o is number | null => o === null || o >= 0,
    );
  }

  /** Plain checks (vitest's expect is too slow for 100k cases); returns what went wrong. */
  function check(total: number, args: ConnectionArgs): string | null {
    // Clients may no longer ask for 0 (first/last are 1–100), but the arithmetic still has to
    // handle empty windows: sizes go in directly, cursors through the parser.
    const request = { ...parseWindowArgs({ after: args.after ?? null, before: args.before ?? null }), first: args.first ?? null, last: args.last ?? null };
    // readTaskWindow: plan pages (knowing the total only when `last` needs it), read them, then
    // take the exact window now that the total is known.
    const planned = windowRange(request, needsTotalCount(request) ? total : undefined);
    const range = windowRange(request, total);
    const expected = referenceWindow(total, args);
    if (range.end - range.start !== expected.length || (expected.length > 0 && expected[0] !== range.start)) {
      return `window ${JSON.stringify(range)} != reference ${JSON.stringify(expected)}`;
    }
    const plannedPages = pagesForRange(planned);
    if (planned.end - planned.start > MAX_WINDOW_SIZE) return "planned more than one window";
    if (plannedPages.length > 0) {
      // Only the pages the requested window spans, nothing beyond it.
      if (plannedPages[0] !== Math.floor(planned.start / LOADER_PAGE_SIZE) + 1) return "reads a page before the window";
      if (plannedPages.at(-1) !== Math.floor((planned.end - 1) / LOADER_PAGE_SIZE) + 1) return "reads a page after the window";
    }
    // The planned pages hold every offset shown, unless `before` points past the end.
    if (request.upperBound === null || request.upperBound <= total) {
      if (pagesForRange(range).some((page) => !plannedPages.includes(page))) return "planned pages miss the window";
    }
    const info = windowPageInfo(range, total);
    if (info.hasPreviousPage !== range.start > 0 || info.hasNextPage !== range.end < total) return "pageInfo wrong";
    return null;
  }

  test("first/after, last/before, both, neither", () => {
    const failures: string[] = [];
    let cases = 0;
    for (const total of totals) {
      const cursorOffsets = offsets(total);
      for (const after of cursorOffsets) {
        for (const before of cursorOffsets) {
          for (const first of sizes) {
            for (const last of [null, 0, 1, 7, 50, 100]) {
              const args = {
                first,
                last,
                after: after === null ? null : encodeCursor(after),
                before: before === null ? null : encodeCursor(before),
              };
              const problem = check(total, args);
              if (problem) failures.push(`${JSON.stringify({ total, first, last, after, before })}: ${problem}`);
              cases += 1;
            }
          }
        }
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(cases).toBeGreaterThan(50_000);
  }, 60_000);
});
