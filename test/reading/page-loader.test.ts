import { describe, expect, test } from "vitest";
import { encodeCursor } from "../../src/reading/cursors.js";
import { TaskLookup } from "../../src/reading/entity-scan.js";
import { PageLoader } from "../../src/reading/page-loader.js";
import { parseWindowArgs, type ConnectionArgs } from "../../src/reading/relay-window.js";
import { readTaskWindow } from "../../src/reading/task-window.js";
import { createFakeApi } from "../helpers/fake-api.js";

function window(loader: PageLoader, args: ConnectionArgs) {
  return readTaskWindow(loader, "USAGE_DETAIL", parseWindowArgs(args));
}

describe("readTaskWindow", () => {
  test("reads only the pages a window covers, all at once", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 300 });
    const result = await window(new PageLoader(api), { first: 100, after: encodeCursor(24) });
    expect(result.items.map((i) => i.offset)).toEqual(Array.from({ length: 100 }, (_, i) => 25 + i));
    expect(result.items[0]!.task.taskId).toBe("d25");
    expect(api.readsOf("USAGE_DETAIL")).toEqual([1, 2, 3]);
    expect(api.maxInFlight).toBe(3);
    expect(api.reads.every((r) => r.pageSize === 50)).toBe(true);
    expect(result).toMatchObject({ totalCount: 300, hasPreviousPage: true, hasNextPage: true });
  });

  test("aligned windows read one page each", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 300 });
    await window(new PageLoader(api), { first: 50, after: encodeCursor(49) });
    expect(api.readsOf("USAGE_DETAIL")).toEqual([2]);
  });

  test("`last` without `before` reads page 1 for the total, then the tail", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 137 });
    const result = await window(new PageLoader(api), { last: 10 });
    expect(result.items.map((i) => i.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 127 + i));
    expect(api.readsOf("USAGE_DETAIL")).toEqual([1, 3]);
    expect(result).toMatchObject({ totalCount: 137, hasPreviousPage: true, hasNextPage: false });
  });

  test("`last` within page 1 reads page 1 once", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 30 });
    const result = await window(new PageLoader(api), { last: 5 });
    expect(result.items.map((i) => i.offset)).toEqual([25, 26, 27, 28, 29]);
    expect(api.readsOf("USAGE_DETAIL")).toEqual([1]);
  });

  test("overlapping windows share pages within one loader", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 300 });
    const loader = new PageLoader(api);
    await Promise.all([
      window(loader, { first: 10 }),
      window(loader, { first: 60 }),
      window(loader, { last: 5, before: encodeCursor(80) }),
      window(loader, { first: 100, after: encodeCursor(49) }),
    ]);
    expect(api.readsOf("USAGE_DETAIL").sort()).toEqual([1, 2, 3]);
  });

  test("an empty window still reports the total from page 1", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 70 });
    // Clients cannot ask for one (first/last are at least 1), but a window may still be empty.
    const result = await readTaskWindow(new PageLoader(api), "USAGE_DETAIL", { lowerBound: 0, upperBound: null, first: 0, last: null });
    expect(result).toMatchObject({ items: [], totalCount: 70 });
    expect(api.readsOf("USAGE_DETAIL")).toEqual([1]);
  });

  test("a `before` past the end (the list shrank) still returns the tail", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 60 });
    const result = await window(new PageLoader(api), { last: 3, before: encodeCursor(200) });
    expect(result.items.map((i) => i.offset)).toEqual([57, 58, 59]);
  });

  test("clear(kind) makes the next read go upstream again", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 10, USER_USAGE: 10 });
    const loader = new PageLoader(api);
    await loader.load("USAGE_DETAIL", 1);
    await loader.load("USER_USAGE", 1);
    loader.clear("USAGE_DETAIL");
    expect(loader.knownTotal("USAGE_DETAIL")).toBeUndefined();
    expect(loader.requestedPages("USER_USAGE")).toEqual([1]);
    await loader.load("USAGE_DETAIL", 1);
    await loader.load("USER_USAGE", 1);
    expect(api.reads.map((r) => `${r.kind}:${r.pageNumber}`)).toEqual(["USAGE_DETAIL:1", "USER_USAGE:1", "USAGE_DETAIL:1"]);
  });

  test("a failed read rejects with the upstream's error", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 10 });
    const boom = new Error("boom");
    api.describeTasks = () => Promise.reject(boom);
    await expect(window(new PageLoader(api), { first: 5 })).rejects.toBe(boom);
  });
});

describe("TaskLookup", () => {
  test("batches keys into one scan that stops when all are found", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 1000 });
    const lookup = new TaskLookup(new PageLoader(api));
    const found = await Promise.all(["d3", "d40", "d10"].map((taskId) => lookup.load({ kind: "USAGE_DETAIL", taskId })));
    expect(found.map((t) => t?.taskId)).toEqual(["d3", "d40", "d10"]);
    expect(api.readsOf("USAGE_DETAIL")).toEqual([1]);
  });

  test("reads later pages in growing concurrent waves", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 1000 });
    const lookup = new TaskLookup(new PageLoader(api));
    // d260 is on page 6: waves read [1], [2], [3, 4], [5, 6, 7, 8].
    const [a, b] = await lookup.loadMany([
      { kind: "USAGE_DETAIL", taskId: "d60" },
      { kind: "USAGE_DETAIL", taskId: "d260" },
    ]);
    expect([a?.taskId, b?.taskId]).toEqual(["d60", "d260"]);
    expect(api.readsOf("USAGE_DETAIL")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(api.maxInFlight).toBe(4);
  });

  test("searches pages the request already read before reading more", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 1000 });
    const pages = new PageLoader(api);
    const lookup = new TaskLookup(pages);
    await pages.load("USAGE_DETAIL", 9);
    const task = await lookup.load({ kind: "USAGE_DETAIL", taskId: "d420" });
    expect(task?.taskId).toBe("d420");
    expect(api.readsOf("USAGE_DETAIL")).toEqual([9]);
  });

  test("a missing id reads every page once, bounded by the total, and is null", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 120 });
    const lookup = new TaskLookup(new PageLoader(api));
    expect(await lookup.load({ kind: "USAGE_DETAIL", taskId: "nope" })).toBeNull();
    expect(api.readsOf("USAGE_DETAIL")).toEqual([1, 2, 3]);
  });

  test("maxPages bounds a scan of a long list", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 5000 });
    const lookup = new TaskLookup(new PageLoader(api), { maxPages: 4 });
    expect(await lookup.load({ kind: "USAGE_DETAIL", taskId: "d4999" })).toBeNull();
    expect(api.readsOf("USAGE_DETAIL")).toEqual([1, 2, 3, 4]);
  });

  test("an empty list needs one read", async () => {
    const api = createFakeApi({});
    const lookup = new TaskLookup(new PageLoader(api));
    expect(await lookup.load({ kind: "USER_USAGE", taskId: "x" })).toBeNull();
    expect(api.readsOf("USER_USAGE")).toEqual([1]);
  });

  test("keys of both kinds scan their own lists concurrently", async () => {
    const api = createFakeApi({ USAGE_DETAIL: 100, USER_USAGE: 100 });
    const lookup = new TaskLookup(new PageLoader(api));
    const [d, u] = await lookup.loadMany([
      { kind: "USAGE_DETAIL", taskId: "d1" },
      { kind: "USER_USAGE", taskId: "u2" },
    ]);
    expect([d?.kind, u?.kind]).toEqual(["USAGE_DETAIL", "USER_USAGE"]);
    expect(api.reads).toHaveLength(2);
    expect(api.maxInFlight).toBe(2);
  });
});
