/** Shift-aware cursors: v2 payloads, the order test, and the bounded search over a fake list. */
import { describe, expect, test } from "vitest";
import { classifyPage, compareTaskIds, locateAnchor, MAX_SEARCH_PAGES, orderAgainst, realignWindow } from "../../src/reading/cursor-realign.js";
import { cursorAnchor, encodeCursor, type CursorAnchor } from "../../src/reading/cursors.js";
import { PageLoader } from "../../src/reading/page-loader.js";
import { decodeCursor, decodeCursorPosition, InvalidWindowError, parseWindowArgs } from "../../src/reading/relay-window.js";
import { readTaskWindow } from "../../src/reading/task-window.js";
import type { UpstreamTask } from "../../src/upstream/types.js";
import { createFakeApi, fakeTask, type FakeApi } from "../helpers/fake-api.js";

const BASE = Date.UTC(2024, 5, 1) / 1000;

/** Task `serial` of an ever-growing history: higher serial = newer (later time, larger id). */
function task(serial: number, secondsApart = 1): UpstreamTask {
  return {
    ...fakeTask("USAGE_DETAIL", serial),
    taskId: String(10_000_000 + serial),
    createTime: new Date((BASE + serial * secondsApart) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
}

/** A fake upstream listing `count` tasks newest first (serials count-1 … 0). */
function listOf(count: number, secondsApart = 1): FakeApi {
  const api = createFakeApi();
  api.tasks.USAGE_DETAIL = Array.from({ length: count }, (_, i) => task(count - 1 - i, secondsApart));
  return api;
}

function anchorAt(api: FakeApi, offset: number): CursorAnchor {
  return cursorAnchor(api.tasks.USAGE_DETAIL[offset]!, api.tasks.USAGE_DETAIL.length)!;
}

/** New tasks at the front, newest first, as the upstream shows them. */
function createAtFront(api: FakeApi, count: number): void {
  const newest = Number(api.tasks.USAGE_DETAIL[0]!.taskId) - 10_000_000;
  api.tasks.USAGE_DETAIL.unshift(...Array.from({ length: count }, (_, i) => task(newest + count - i)));
}

describe("v2 cursors", () => {
  test("carry the edge's task and the total; decode back exactly", () => {
    const anchor = { taskId: "10000123", createdAt: BASE, totalCount: 137 };
    const cursor = encodeCursor(61, anchor);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursorPosition(cursor, "after")).toEqual({ offset: 61, anchor, binding: null });
    expect(decodeCursor(cursor, "before")).toBe(61);
  });

  test("v1 cursors stay valid, without an anchor", () => {
    expect(decodeCursorPosition(encodeCursor(5), "after")).toEqual({ offset: 5, anchor: null, binding: null });
    expect(parseWindowArgs({ after: encodeCursor(5) })).toMatchObject({ lowerBound: 6, afterAnchor: null });
  });

  test.each([
    ["no task id", { v: 2, o: 1, c: 1, n: 1 }],
    ["an empty task id", { v: 2, o: 1, t: "", c: 1, n: 1 }],
    ["a negative time", { v: 2, o: 1, t: "1", c: -1, n: 1 }],
    ["a fractional total", { v: 2, o: 1, t: "1", c: 1, n: 1.5 }],
    ["an unknown version", { v: 3, o: 1 }],
  ])("a v2 payload with %s is refused", (_name, payload) => {
    const cursor = Buffer.from(JSON.stringify(payload)).toString("base64url");
    expect(() => decodeCursorPosition(cursor, "after")).toThrow(InvalidWindowError);
  });

  test("tasks that cannot anchor give plain cursors", () => {
    expect(cursorAnchor({ taskId: "x".repeat(129), createTime: "2024-01-01T00:00:00Z" }, 1)).toBeNull();
    expect(cursorAnchor({ taskId: "1", createTime: "yesterday" }, 1)).toBeNull();
  });
});

describe("the order test", () => {
  const anchor = { taskId: "10000050", createdAt: BASE + 50, totalCount: 0 };

  test("newer, older, itself; same-second ties by numeric id", () => {
    expect(orderAgainst(task(51), anchor)).toBe(-1);
    expect(orderAgainst(task(49), anchor)).toBe(1);
    expect(orderAgainst(task(50), anchor)).toBe(0);
    const sameSecond = (id: string) => ({ taskId: id, createTime: new Date((BASE + 50) * 1000).toISOString() });
    expect(orderAgainst(sameSecond("10000051"), anchor)).toBe(-1);
    expect(orderAgainst(sameSecond("9999999"), anchor)).toBe(1);
    expect(orderAgainst({ taskId: "1", createTime: "not a time" }, anchor)).toBeNull();
    expect(compareTaskIds("9", "10")).toBeLessThan(0);
    expect(compareTaskIds("b", "a")).toBeGreaterThan(0);
  });

  test("pages classify around the anchor", () => {
    const page = (serials: number[]) => serials.map((s) => task(s));
    expect(classifyPage(page([53, 52, 50, 49]), anchor)).toEqual({ kind: "found", index: 2 });
    expect(classifyPage(page([53, 52, 49, 48]), anchor)).toEqual({ kind: "gap", index: 2 });
    expect(classifyPage(page([60, 55]), anchor)).toEqual({ kind: "newer" });
    expect(classifyPage(page([40, 30]), anchor)).toEqual({ kind: "older" });
    expect(classifyPage([], anchor)).toEqual({ kind: "older" });
    expect(classifyPage(page([49, 52]), anchor)).toEqual({ kind: "unordered" });
  });
});

describe("locateAnchor", () => {
  test("an unchanged list: found where the cursor says, one read", async () => {
    const api = listOf(300);
    const anchor = anchorAt(api, 120);
    expect(await locateAnchor(new PageLoader(api), "USAGE_DETAIL", anchor, 120)).toEqual({ offset: 120, found: true });
    expect(api.readsOf("USAGE_DETAIL")).toEqual([3]);
  });

  test("tasks created since: the total's growth predicts the page, even 130 tasks later", async () => {
    const api = listOf(300);
    const anchor = anchorAt(api, 120);
    createAtFront(api, 130);
    expect(await locateAnchor(new PageLoader(api), "USAGE_DETAIL", anchor, 120)).toEqual({ offset: 250, found: true });
    expect(api.readsOf("USAGE_DETAIL")).toEqual([3, 6]);
  });

  test("creates and deletes that keep the total: found by galloping", async () => {
    const api = listOf(600);
    const anchor = anchorAt(api, 30);
    createAtFront(api, 180);
    api.tasks.USAGE_DETAIL.splice(400, 180); // older tasks deleted: same total, anchor 180 further down
    expect(await locateAnchor(new PageLoader(api), "USAGE_DETAIL", anchor, 30)).toEqual({ offset: 210, found: true });
    expect(api.reads.length).toBeLessThanOrEqual(1 + MAX_SEARCH_PAGES);
  });

  test("seen tasks deleted: the anchor moved up a page", async () => {
    const api = listOf(300);
    const anchor = anchorAt(api, 160);
    api.tasks.USAGE_DETAIL.splice(10, 70);
    expect(await locateAnchor(new PageLoader(api), "USAGE_DETAIL", anchor, 160)).toEqual({ offset: 90, found: true });
  });

  test("the anchor deleted: the first older task takes its place", async () => {
    const api = listOf(300);
    const anchor = anchorAt(api, 77);
    api.tasks.USAGE_DETAIL.splice(77, 1);
    createAtFront(api, 5);
    expect(await locateAnchor(new PageLoader(api), "USAGE_DETAIL", anchor, 77)).toEqual({ offset: 82, found: false });
  });

  test("the anchor deleted on a page boundary, and the last task of the list deleted", async () => {
    const api = listOf(120);
    const boundary = anchorAt(api, 99);
    const last = anchorAt(api, 119);
    api.tasks.USAGE_DETAIL.splice(119, 1);
    api.tasks.USAGE_DETAIL.splice(99, 1);
    const loader = new PageLoader(api);
    expect(await locateAnchor(loader, "USAGE_DETAIL", boundary, 99)).toEqual({ offset: 99, found: false });
    expect(await locateAnchor(loader, "USAGE_DETAIL", last, 119)).toEqual({ offset: 118, found: false });
  });

  test("a page out of order: give up (the plain offset applies)", async () => {
    const api = listOf(100);
    const anchor = anchorAt(api, 10);
    api.tasks.USAGE_DETAIL.splice(10, 1);
    api.tasks.USAGE_DETAIL.reverse();
    expect(await locateAnchor(new PageLoader(api), "USAGE_DETAIL", anchor, 10)).toBeNull();
  });

  test("the search is bounded: a task far away with a misleading total gives up", async () => {
    const api = listOf(50_000, 0);
    // Same second for everything, ids descending: the order holds, the anchor is older than all.
    const anchor = { taskId: "1", createdAt: BASE, totalCount: 50_000 };
    expect(await locateAnchor(new PageLoader(api), "USAGE_DETAIL", anchor, 0)).toBeNull();
    expect(api.reads.length).toBe(1 + MAX_SEARCH_PAGES);
  });
});

describe("realignWindow and readTaskWindow", () => {
  test("an after cursor on a page boundary reads its page and the window's together", async () => {
    const api = listOf(300);
    const request = parseWindowArgs({ first: 50, after: encodeCursor(49, anchorAt(api, 49)) });
    const window = await readTaskWindow(new PageLoader(api), "USAGE_DETAIL", request);
    expect(window.items.map((i) => i.offset)).toEqual(Array.from({ length: 50 }, (_, i) => 50 + i));
    expect(api.readsOf("USAGE_DETAIL").sort()).toEqual([1, 2]);
    expect(api.maxInFlight).toBe(2);
  });

  test("after and before both follow their tasks", async () => {
    const api = listOf(300);
    const request = parseWindowArgs({ after: encodeCursor(60, anchorAt(api, 60)), before: encodeCursor(70, anchorAt(api, 70)) });
    createAtFront(api, 3);
    const realigned = await realignWindow(new PageLoader(api), "USAGE_DETAIL", request);
    expect(realigned).toMatchObject({ lowerBound: 64, upperBound: 73, afterAnchor: null, beforeAnchor: null });
  });

  test("requests without anchors are left alone and read nothing extra", async () => {
    const api = listOf(300);
    const request = parseWindowArgs({ first: 5, after: encodeCursor(60) });
    expect(await realignWindow(new PageLoader(api), "USAGE_DETAIL", request)).toBe(request);
    expect(api.reads).toHaveLength(0);
  });
});
