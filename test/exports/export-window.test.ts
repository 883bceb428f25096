/**
 * Pages over a parsed export's lists (points, rows): first 1–1000 (default 1000), after a cursor
 * of the same list only; cursors from another list, from `tasks`, or made up are refused with
 * the rule a client can act on.
 */
import { describe, expect, it } from "vitest";
import { encodeExportCursor, exportListBinding, exportWindow, windowPageInfo } from "../../src/exports/export-window.js";
import { encodeCursor } from "../../src/reading/cursors.js";
import { InvalidWindowError } from "../../src/reading/relay-window.js";

const binding = exportListBinding("usage.points", "USAGE_DETAIL", "1", null, 0, 1000, "HOUR", "UTC");

function refusal(run: () => unknown): { field: string; rule: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidWindowError);
    const { field, rule } = error as InvalidWindowError;
    return { field, rule };
  }
  throw new Error("not refused");
}

describe("export windows", () => {
  it("first/after over a list of known length, with page info", () => {
    expect(exportWindow({}, binding, 2500)).toMatchObject({ start: 0, end: 1000, totalCount: 2500 });
    const page = exportWindow({ first: 10, after: encodeExportCursor(4, binding) }, binding, 2500);
    expect(page).toMatchObject({ start: 5, end: 15 });
    expect(windowPageInfo(page)).toEqual({ hasPreviousPage: true, hasNextPage: true, startCursor: encodeExportCursor(5, binding), endCursor: encodeExportCursor(14, binding) });
    const last = exportWindow({ first: 1000, after: encodeExportCursor(2498, binding) }, binding, 2500);
    expect(last).toMatchObject({ start: 2499, end: 2500 });
    expect(windowPageInfo(last).hasNextPage).toBe(false);
    const past = exportWindow({ after: encodeExportCursor(5000, binding) }, binding, 2500);
    expect(windowPageInfo(past)).toEqual({ hasPreviousPage: true, hasNextPage: false, startCursor: null, endCursor: null });
  });

  it("refuses sizes outside 1–1000, naming first and the rule", () => {
    expect(refusal(() => exportWindow({ first: 1001 }, binding, 10))).toEqual({ field: "first", rule: "max-1000" });
    expect(refusal(() => exportWindow({ first: 0 }, binding, 10))).toEqual({ field: "first", rule: "min-1" });
    expect(refusal(() => exportWindow({ first: -5 }, binding, 10))).toEqual({ field: "first", rule: "non-negative" });
  });

  it("refuses a cursor of another list, of tasks, or none at all", () => {
    const other = exportListBinding("usage.points", "USAGE_DETAIL", "1", null, 0, 1000, "DAY", "UTC");
    expect(other).not.toBe(binding);
    expect(refusal(() => exportWindow({ after: encodeExportCursor(3, other) }, binding, 10))).toEqual({ field: "after", rule: "cursor-mismatch" });
    expect(refusal(() => exportWindow({ after: encodeCursor(3) }, binding, 10))).toEqual({ field: "after", rule: "cursor-mismatch" });
    expect(refusal(() => exportWindow({ after: encodeCursor(3, { taskId: "7", createdAt: 1, totalCount: 9 }) }, binding, 10))).toEqual({ field: "after", rule: "cursor-mismatch" });
    for (const garbage of ["", "%%%", Buffer.from("{}").toString("base64url"), Buffer.from('{"v":1,"o":-1}').toString("base64url"), "x".repeat(600)]) {
      expect(refusal(() => exportWindow({ after: garbage }, binding, 10))).toEqual({ field: "after", rule: "cursor-format" });
    }
  });

  it("cursors have the shape of the task list's, with a 16-character binding of their own", () => {
    const payload = JSON.parse(Buffer.from(encodeExportCursor(7, binding), "base64url").toString("utf8")) as Record<string, unknown>;
    expect(payload).toEqual({ v: 1, o: 7, b: binding });
    expect(binding).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});
