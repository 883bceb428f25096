/**
 * Entity lookups by (kind, taskId). The upstream has no "get one task" operation, so lookups
 * batch into one scan of the shared per-request pages (PageLoader): pages this request already
 * read are searched first for free, then the rest are read concurrently in waves (see
 * waveSize), stopping as soon as every key is found and never past the total the upstream
 * reports (its three-month window) or `maxPages`, so a missing id cannot read forever. No page
 * is read twice.
 */
import DataLoader from "dataloader";
import type { ExportKind, TaskPage, UpstreamTask } from "../upstream/types.js";
import { pageCount } from "./paging.js";
import type { PageLoader } from "./page-loader.js";

export interface TaskKey {
  kind: ExportKind;
  taskId: string;
}

export interface TaskLookupOptions {
  /** Upper bound on pages one scan may read per kind (default 100 = 5000 tasks). */
  maxPages?: number;
}

export const DEFAULT_MAX_SCAN_PAGES = 100;
/** Largest wave of a sparse scan, which doubles the pages searched each wave: 1, 1, 2, 4, 8, 8, ... */
const MAX_SPARSE_WAVE = 8;
/** Wanted tasks per page read, at or above which the next wave is sized by that rate. */
const DENSE_KEYS_PER_PAGE = 2;

export class TaskLookup {
  readonly #loader: DataLoader<TaskKey, UpstreamTask | null, string>;
  readonly #keysByKind = new Map<ExportKind, Set<string>>();

  constructor(
    private readonly pages: PageLoader,
    options: TaskLookupOptions = {},
  ) {
    const maxPages = options.maxPages ?? DEFAULT_MAX_SCAN_PAGES;
    this.#loader = new DataLoader<TaskKey, UpstreamTask | null, string>(
      async (keys) => {
        const byKind = new Map<ExportKind, Set<string>>();
        for (const { kind, taskId } of keys) {
          const ids = byKind.get(kind) ?? new Set<string>();
          ids.add(taskId);
          byKind.set(kind, ids);
        }
        const found = new Map<string, UpstreamTask>();
        await Promise.all(
          [...byKind].map(async ([kind, ids]) => {
            for (const [taskId, task] of await scanKind(this.pages, kind, ids, maxPages)) {
              found.set(keyOf({ kind, taskId }), task);
            }
          }),
        );
        return keys.map((key) => found.get(keyOf(key)) ?? null);
      },
      { cacheKeyFn: keyOf },
    );
  }

  load(key: TaskKey): Promise<UpstreamTask | null> {
    const ids = this.#keysByKind.get(key.kind) ?? new Set<string>();
    ids.add(key.taskId);
    this.#keysByKind.set(key.kind, ids);
    return this.#loader.load(key);
  }

  loadMany(keys: readonly TaskKey[]): Promise<(UpstreamTask | null)[]> {
    return Promise.all(keys.map((key) => this.load(key)));
  }

  /** Forgets lookups of `kind` (after this request created or deleted a task of it). */
  clear(kind: ExportKind): void {
    for (const taskId of this.#keysByKind.get(kind) ?? []) this.#loader.clear({ kind, taskId });
    this.#keysByKind.delete(kind);
  }
}

function keyOf({ kind, taskId }: TaskKey): string {
  return `${kind}\u0000${taskId}`;
}

/**
 * Pages the next wave reads.
 * - Total unknown: page 1 alone, which tells it.
 * - Nothing searched yet, total known (from a recent request): as many pages as the batch would
 *   fill at DENSE_KEYS_PER_PAGE, so 100 `_entities` over 12 pages take one round trip, while a
 *   single `task` still reads page 1 alone (most lookups are of recent tasks).
 * - Pages searched held DENSE_KEYS_PER_PAGE wanted tasks each or more: as many as that rate says
 *   the missing ones need.
 * - Otherwise (sparse: one or two hits say nothing reliable): double the pages searched, at
 *   most MAX_SPARSE_WAVE at once.
 */
export function waveSize(totalKnown: boolean, missing: number, found: number, searched: number): number {
  if (!totalKnown) return 1;
  if (searched === 0) return Math.ceil(missing / DENSE_KEYS_PER_PAGE);
  const doubling = Math.min(Math.max(searched, 1), MAX_SPARSE_WAVE);
  const rate = found / searched;
  return rate < DENSE_KEYS_PER_PAGE ? doubling : Math.max(doubling, Math.ceil(missing / rate));
}

async function scanKind(
  pages: PageLoader,
  kind: ExportKind,
  wanted: ReadonlySet<string>,
  maxPages: number,
): Promise<Map<string, UpstreamTask>> {
  const found = new Map<string, UpstreamTask>();
  const searched = new Set<number>();
  const absorb = (pageNumber: number, page: TaskPage): void => {
    searched.add(pageNumber);
    for (const task of page.tasks) {
      if (wanted.has(task.taskId) && !found.has(task.taskId)) found.set(task.taskId, task);
    }
  };
  const readWave = async (pageNumbers: readonly number[]): Promise<void> => {
    const read = await pages.loadPages(kind, pageNumbers);
    read.forEach((page, i) => absorb(pageNumbers[i] ?? page.pageNumber, page));
  };

  // Pages other fields of this request already asked for cost nothing more.
  await readWave(pages.requestedPages(kind).filter((p) => p <= maxPages));

  while (found.size < wanted.size) {
    // Before any answer of this request is in, a recent request's total plans the first wave;
    // only a total this request read ends the scan (the list may have grown or emptied since).
    const total = pages.recentTotal(kind);
    const pagesOfTotal = total === undefined ? 1 : pageCount(total, pages.pageSize);
    const lastPage = Math.min(pages.knownTotal(kind) === undefined ? Math.max(pagesOfTotal, 1) : pagesOfTotal, maxPages);
    const size = waveSize(total !== undefined, wanted.size - found.size, found.size, searched.size);
    const next: number[] = [];
    for (let p = 1; p <= lastPage && next.length < size; p += 1) {
      if (!searched.has(p)) next.push(p);
    }
    if (next.length === 0) break;
    await readWave(next);
  }
  return found;
}
