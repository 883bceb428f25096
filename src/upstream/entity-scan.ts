/**
 * Entity lookups by (kind, taskId). The upstream has no "get one task" operation, so lookups
 * batch into one scan of the shared per-request pages (PageLoader): pages this request already
 * read are searched first for free, then the rest are read concurrently in growing waves (sized
 * by the hit rate when the batch is dense, see waveSize), stopping as soon as every key is found
 * and never past the total the upstream reports (its three-month window) or `maxPages`, so a
 * missing id cannot read forever.
 */
import DataLoader from "dataloader";
import type { ExportKind, TaskPage, UpstreamTask } from "./types.js";
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
/** Pages per wave: page 1 alone (it tells the total), then 1, 2, 4, 8, 8, ... */
const WAVE_SIZES = [1, 1, 2, 4, 8] as const;
const MAX_WAVE = 8;
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
 * Pages the next wave reads: the growing schedule, or — when the pages read so far held at least
 * DENSE_KEYS_PER_PAGE wanted tasks each — as many pages as that rate says the missing ones need,
 * so a large batch (100 `_entities` spread over 12 pages) takes two round trips instead of five.
 * A sparse batch keeps the schedule: from one or two hits the rate says nothing reliable.
 */
function waveSize(wave: number, missing: number, found: number, scanned: number): number {
  const scheduled = WAVE_SIZES[wave] ?? MAX_WAVE;
  if (scanned === 0 || found / scanned < DENSE_KEYS_PER_PAGE) return scheduled;
  return Math.max(scheduled, Math.ceil(missing / (found / scanned)));
}

async function scanKind(
  pages: PageLoader,
  kind: ExportKind,
  wanted: ReadonlySet<string>,
  maxPages: number,
): Promise<Map<string, UpstreamTask>> {
  const found = new Map<string, UpstreamTask>();
  const scanned = new Set<number>();
  const absorb = (pageNumber: number, page: TaskPage): void => {
    scanned.add(pageNumber);
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

  for (let wave = 0; found.size < wanted.size; wave += 1) {
    const total = pages.knownTotal(kind);
    const lastPage = Math.min(total === undefined ? 1 : pageCount(total, pages.pageSize), maxPages);
    const size = total === undefined ? 1 : waveSize(wave, wanted.size - found.size, found.size, scanned.size);
    const next: number[] = [];
    for (let p = 1; p <= lastPage && next.length < size; p += 1) {
      if (!scanned.has(p)) next.push(p);
    }
    if (next.length === 0) break;
    await readWave(next);
  }
  return found;
}
