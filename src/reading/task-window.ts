/**
 * Reads one connection window of tasks through the request's PageLoader: only the pages the
 * window covers, concurrently, after its cursors were re-pointed at where their tasks are now.
 */
import type { ExportKind, TaskPage, UpstreamTask } from "../upstream/types.js";
import { realignWindow } from "./cursor-realign.js";
import type { PageLoader } from "./page-loader.js";
import { pageStartOffset, pagesForRange } from "./paging.js";
import { needsTotalCount, windowPageInfo, windowRange, type WindowRequest } from "./relay-window.js";

export interface WindowItem {
  /** Absolute 0-based position in the upstream list (what a cursor encodes). */
  offset: number;
  task: UpstreamTask;
}

export interface TaskWindow {
  items: WindowItem[];
  totalCount: number;
  hasPreviousPage: boolean;
  hasNextPage: boolean;
}

/**
 * Reads one connection window: only the pages it covers, concurrently. A `last` without
 * `before` needs the total first, so it reads page 1 (usually shared anyway), then the tail.
 * Cursors naming their task are re-pointed at where it is now first (cursor-realign.ts).
 */
export async function readTaskWindow(pages: PageLoader, kind: ExportKind, cursorRequest: WindowRequest): Promise<TaskWindow> {
  // v2 cursors first find their tasks again (the list may have moved since they were issued).
  const request = await realignWindow(pages, kind, cursorRequest);
  let total = pages.knownTotal(kind);
  if (total === undefined && needsTotalCount(request)) {
    total = (await pages.load(kind, 1)).totalCount;
  }
  // An empty window still owes a totalCount: page 1 answers it.
  const planned = pagesForRange(windowRange(request, total), pages.pageSize);
  const read = new Map<number, TaskPage>();
  const readPages = async (pageNumbers: readonly number[]): Promise<void> => {
    const loaded = await pages.loadPages(kind, pageNumbers);
    pageNumbers.forEach((pageNumber, i) => {
      const page = loaded[i];
      if (page) read.set(pageNumber, page);
    });
  };
  await readPages(planned.length > 0 ? planned : [1]);
  const totalCount = read.values().next().value?.totalCount ?? 0;

  // With the total known the window is exact. It only needs pages beyond the planned ones when
  // a `before` cursor points past the end (the list shrank): then read those too.
  const range = windowRange(request, totalCount);
  const missing = pagesForRange(range, pages.pageSize).filter((pageNumber) => !read.has(pageNumber));
  if (missing.length > 0) await readPages(missing);

  const items: WindowItem[] = [];
  for (const [pageNumber, page] of [...read].sort(([a], [b]) => a - b)) {
    // Offsets follow the page we asked for, whatever PageNumber the answer echoes.
    const base = pageStartOffset(pageNumber, pages.pageSize);
    page.tasks.forEach((task, index) => {
      const offset = base + index;
      if (offset >= range.start && offset < range.end) items.push({ offset, task });
    });
  }
  return { items, totalCount, ...windowPageInfo(range, totalCount) };
}
