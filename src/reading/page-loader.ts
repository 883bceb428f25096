/**
 * Per-request page reads: one DataLoader keyed by (kind, pageNumber) with a fixed PageSize, so
 * every window, alias and entity scan in one GraphQL request shares each upstream page read.
 */
import DataLoader from "dataloader";
import type { CdnExportApi, ExportKind, TaskPage } from "../upstream/types.js";
import { LOADER_PAGE_SIZE } from "./paging.js";
import type { RecentTotals } from "./recent-totals.js";

export interface PageLoaderOptions {
  /** Aborts reads still in flight when the request goes away. */
  signal?: AbortSignal;
  /** The app's store of totals earlier requests read; without it each request starts blind. */
  recentTotals?: RecentTotals;
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
