/**
 * Cursors that survive a changing list. The upstream pages by offset, newest first, so a task
 * created while a client pages moves every later task one offset down, and a deleted one moves
 * them up: a plain offset cursor would then repeat or skip tasks. A v2 cursor names its task
 * (cursors.ts); before a window is read, each such cursor is checked against the list as it is
 * now and, when its task moved, re-pointed at the task's real position:
 *
 * 1. The page at the cursor's offset (read anyway for most windows) still holds the task at
 *    that offset: nothing moved, nothing more to read.
 * 2. Otherwise the task is searched for by the upstream's order (CreateTime descending; TaskId
 *    descending among tasks created in the same second, as the emulator does): first the page
 *    the TotalCount growth predicts, then galloping and bisecting over pages, reading through
 *    the request's PageLoader (pages it already read are free), at most MAX_SEARCH_PAGES more.
 * 3. A task no longer listed (deleted, or aged out of the three months) is replaced by its
 *    place in that order: the first task older than it. Deleted tasks not yet seen simply
 *    never appear; nothing is repeated or skipped.
 *
 * If a page contradicts that order, or the bound is reached, the cursor falls back to its plain
 * offset: the behaviour of a v1 cursor, never an error.
 */
import type { ExportKind, UpstreamTask } from "../upstream/types.js";
import type { CursorAnchor } from "./cursors.js";
import type { PageLoader } from "./page-loader.js";
import { pageCount, pageOfOffset, pageStartOffset, pagesForRange } from "./paging.js";
import { needsTotalCount, windowRange, type WindowRequest } from "./relay-window.js";

/** Pages one cursor's search may read beyond those the request reads anyway. */
export const MAX_SEARCH_PAGES = 8;

/** Where an anchor's task is now: at `offset` (found), or gone and `offset` is the first older task. */
export interface AnchorPosition {
  offset: number;
  found: boolean;
}

/**
 * -1: `task` comes before the anchor in the upstream order (newer), 1: after it (older), 0: it
 * is the anchor's task. null: the task's CreateTime is not a time, so the order says nothing.
 */
export function orderAgainst(task: Pick<UpstreamTask, "taskId" | "createTime">, anchor: CursorAnchor): -1 | 0 | 1 | null {
  if (task.taskId === anchor.taskId) return 0;
  const createdMs = Date.parse(task.createTime);
  if (Number.isNaN(createdMs)) return null;
  const created = Math.floor(createdMs / 1000);
  if (created !== anchor.createdAt) return created > anchor.createdAt ? -1 : 1;
  return compareTaskIds(task.taskId, anchor.taskId) > 0 ? -1 : 1;
}

/** Numeric ids (the upstream's) by value, others by code units. */
export function compareTaskIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b) && a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export type PageVerdict =
  | { kind: "found"; index: number }
  /** Newer tasks, then older ones from `index` on: the anchor's place, but it is not here. */
  | { kind: "gap"; index: number }
  /** Every task is newer: the anchor is further down the list. */
  | { kind: "newer" }
  /** Every task is older (or the page is empty, past the end): the anchor is further up. */
  | { kind: "older" }
  /** The page breaks the order: the search cannot trust it. */
  | { kind: "unordered" };

/** Where the anchor stands relative to one page's tasks. */
export function classifyPage(tasks: readonly Pick<UpstreamTask, "taskId" | "createTime">[], anchor: CursorAnchor): PageVerdict {
  const found = tasks.findIndex((task) => task.taskId === anchor.taskId);
  if (found >= 0) return { kind: "found", index: found };
  let firstOlder = -1;
  let previousCreated = Number.POSITIVE_INFINITY;
  for (const [index, task] of tasks.entries()) {
    const order = orderAgainst(task, anchor);
    const created = Date.parse(task.createTime);
    // Newest first by CreateTime (ties in any order): anything else is not a list to search.
    if (order === null || created > previousCreated) return { kind: "unordered" };
    previousCreated = created;
    if (order === 1 && firstOlder < 0) firstOlder = index;
    // A newer task after an older one: not the order the search relies on.
    if (order === -1 && firstOlder >= 0) return { kind: "unordered" };
  }
  if (firstOlder < 0) return tasks.length === 0 ? { kind: "older" } : { kind: "newer" };
  return firstOlder === 0 ? { kind: "older" } : { kind: "gap", index: firstOlder };
}

/**
 * The anchor's position now, or null when the search must give up (the order is contradicted
 * or the bound is reached). `offset` is where the cursor said it was.
 */
export async function locateAnchor(pages: PageLoader, kind: ExportKind, anchor: CursorAnchor, offset: number): Promise<AnchorPosition | null> {
  const size = pages.pageSize;
  const pageOf = (at: number): number => pageOfOffset(at, size);
  const expected = pageOf(offset);
  // Pages known to hold only newer tasks are <= lo, only older ones >= hi.
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  const visited = new Set<number>();
  let lastMove: "down" | "up" | null = null;
  let step = 1;

  const visit = async (pageNumber: number): Promise<AnchorPosition | "unordered" | null> => {
    visited.add(pageNumber);
    const page = await pages.load(kind, pageNumber);
    const verdict = classifyPage(page.tasks, anchor);
    const start = pageStartOffset(pageNumber, size);
    switch (verdict.kind) {
      case "found":
        return { offset: start + verdict.index, found: true };
      case "gap":
        return { offset: start + verdict.index, found: false };
      case "unordered":
        return "unordered";
      case "newer":
        if (pageNumber > lo) [lo, lastMove] = [pageNumber, "down"];
        return null;
      case "older":
        if (pageNumber < hi) [hi, lastMove] = [pageNumber, "up"];
        return null;
    }
  };

  // The expected page first (the window read usually shares it), then the rest of what this
  // request already read, which costs nothing.
  const free = [expected, ...pages.requestedPages(kind).filter((p) => p !== expected)];
  let searched = 0;
  for (let next: number | null = expected; next !== null; ) {
    const outcome = await visit(next);
    if (outcome === "unordered") return null;
    if (outcome !== null) return outcome;
    const total = pages.knownTotal(kind) ?? 0;
    hi = Math.min(hi, pageCount(total, size) + 1);
    if (lo >= hi) return null;
    // Adjacent pages, newer above and older below: the anchor's place is between them.
    if (hi === lo + 1) return { offset: Math.min(pageStartOffset(hi, size), total), found: false };
    const unvisitedFree = free.find((p) => !visited.has(p) && p > lo && p < hi);
    if (unvisitedFree !== undefined) {
      next = unvisitedFree;
      continue;
    }
    if (searched >= MAX_SEARCH_PAGES) return null;
    searched += 1;
    // Where TotalCount's change says the task went (creations only: exactly there).
    const predicted = pageOf(offset + total - anchor.totalCount);
    if (!visited.has(predicted) && predicted > lo && predicted < hi) {
      next = predicted;
      continue;
    }
    // Gallop away from the expected page while only one bound moves; bisect once bracketed.
    // Every visited page is <= lo or >= hi, so any page strictly between them is new.
    const bracketed = lo > 0 && visited.has(hi);
    const candidate = bracketed ? Math.floor((lo + hi) / 2) : lastMove === "up" ? hi - step : lo + step;
    step *= 2;
    next = Math.min(Math.max(candidate, lo + 1), hi - 1);
  }
  return null;
}

/**
 * The window request with its v2 cursors re-pointed at their tasks' current positions. Reads
 * the cursors' pages and the pages the window would cover together, in one batch, so a list
 * that did not move costs no extra round trip.
 */
export async function realignWindow(pages: PageLoader, kind: ExportKind, request: WindowRequest): Promise<WindowRequest> {
  const afterAnchor = request.afterAnchor ?? null;
  const beforeAnchor = request.beforeAnchor ?? null;
  if (afterAnchor === null && beforeAnchor === null) return request;

  const size = pages.pageSize;
  const total = pages.knownTotal(kind);
  const planned = total === undefined && needsTotalCount(request) ? [] : pagesForRange(windowRange(request, total), size);
  const anchorPages = [
    ...(afterAnchor === null ? [] : [pageOfOffset(request.lowerBound - 1, size)]),
    ...(beforeAnchor === null || request.upperBound === null ? [] : [pageOfOffset(request.upperBound, size)]),
  ];
  await pages.loadPages(kind, [...new Set([...anchorPages, ...planned])]);

  const [after, before] = await Promise.all([
    afterAnchor === null ? null : locateAnchor(pages, kind, afterAnchor, request.lowerBound - 1),
    beforeAnchor === null || request.upperBound === null ? null : locateAnchor(pages, kind, beforeAnchor, request.upperBound),
  ]);
  return {
    ...request,
    lowerBound: after === null ? request.lowerBound : after.found ? after.offset + 1 : after.offset,
    upperBound: before === null ? request.upperBound : before.offset,
    afterAnchor: null,
    beforeAnchor: null,
  };
}
