/**
 * Per-request page reads: one DataLoader keyed by (kind, pageNumber) with a fixed PageSize, so
 * every window, alias and entity scan in one GraphQL request shares each upstream page read.
 */
import DataLoader from "dataloader";
import { realignWindow } from "./cursor-realign.js";
import type { CdnExportApi, ExportKind, TaskPage, UpstreamTask } from "../upstream/types.js";
import {
  LOADER_PAGE_SIZE,
  needsTotalCount,
  pageStartOffset,
  pagesForRange,
  windowPageInfo,
  windowRange,
  type WindowRequest,
} from "./paging.js";

export interface PageLoaderOptions {
  /** Aborts reads still in flight when the request goes away. */
  signal?: AbortSignal;
  /** The app's store of totals earlier requests read; without it each request starts blind. */
  recentTotals?: RecentTotals;
}

/** How long a TotalCount read by an earlier request may plan a later one's reads. */
export const RECENT_TOTAL_MAX_AGE_MS = 60_000;

/**
 * The latest TotalCount per kind that any request of one app read, shared across its requests:
 * lets an entity scan plan its first wave before page 1 answers. Never an answer in itself.
 */
export class RecentTotals {
  readonly #seen = new Map<ExportKind, { total: number; seenAt: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  record(kind: ExportKind, total: number): void {
    this.#seen.set(kind, { total, seenAt: this.now() });
  }

  /** The total last read for `kind`, if within RECENT_TOTAL_MAX_AGE_MS. */
  get(kind: ExportKind): number | undefined {
    const seen = this.#seen.get(kind);
    return seen !== undefined && this.now() - seen.seenAt <= RECENT_TOTAL_MAX_AGE_MS ? seen.total : undefined;
  }

  forget(kind: ExportKind): void {
    this.#seen.delete(kind);
  }
}

interface PageKey {
  kind: ExportKind;
  pageNumber: number;
}

export class PageLoader {
  readonly pageSize = LOADER_PAGE_SIZE;
  readonly #loader: DataLoader<PageKey, TaskPage, string>;
  readonly #totals = new Map<ExportKind, number>();
  readonly #requested = new Map<ExportKind, Set<number>>();
  readonly #recentTotals: RecentTotals | undefined;

  constructor(api: CdnExportApi, options: PageLoaderOptions = {}) {
    const { signal } = options;
    const callOptions = signal ? { signal } : undefined;
    this.#recentTotals = options.recentTotals;
    this.#loader = new DataLoader<PageKey, TaskPage, string>(
      (keys) =>
        // Each key is its own upstream call (the API has no multi-page read); all run at once.
        Promise.all(
          keys.map(({ kind, pageNumber }) =>
            api.describeTasks(kind, { pageNumber, pageSize: this.pageSize }, callOptions).then(
              (page) => {
                this.#totals.set(kind, page.totalCount);
                this.#recentTotals?.record(kind, page.totalCount);
                return page;
              },
              (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
            ),
          ),
        ),
      { cacheKeyFn: ({ kind, pageNumber }) => `${kind}:${pageNumber}` },
    );
  }

  load(kind: ExportKind, pageNumber: number): Promise<TaskPage> {
    this.#requestedSet(kind).add(pageNumber);
    return this.#loader.load({ kind, pageNumber });
  }

  loadPages(kind: ExportKind, pageNumbers: readonly number[]): Promise<TaskPage[]> {
    return Promise.all(pageNumbers.map((pageNumber) => this.load(kind, pageNumber)));
  }

  /** TotalCount of the latest page read for `kind` in this request, if any. */
  knownTotal(kind: ExportKind): number | undefined {
    return this.#totals.get(kind);
  }

  /**
   * This request's total for `kind`, else one an earlier request of the app read within
   * RECENT_TOTAL_MAX_AGE_MS. Only for planning which pages to read before any answer is in:
   * the list may have changed since, so nothing a client sees may rest on it.
   */
  recentTotal(kind: ExportKind): number | undefined {
    return this.#totals.get(kind) ?? this.#recentTotals?.get(kind);
  }

  /** Pages of `kind` already read or in flight in this request (reading them again is free). */
  requestedPages(kind: ExportKind): number[] {
    return [...this.#requestedSet(kind)].sort((a, b) => a - b);
  }

  /** Forgets `kind` (after this request created or deleted a task of it), recent total included. */
  clear(kind: ExportKind): void {
    for (const pageNumber of this.#requestedSet(kind)) this.#loader.clear({ kind, pageNumber });
    this.#requested.delete(kind);
    this.#totals.delete(kind);
    this.#recentTotals?.forget(kind);
  }

  #requestedSet(kind: ExportKind): Set<number> {
    let set = this.#requested.get(kind);
    if (!set) {
      set = new Set();
      this.#requested.set(kind, set);
    }
    return set;
  }
}

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
