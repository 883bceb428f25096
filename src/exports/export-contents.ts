/**
 * Parsed exports, kept: a finished export never changes, so each is downloaded and parsed
 * once and its columnar form kept in process up to EXPORT_CACHE_BYTES, least recently used
 * first (lru-cache, sized by each form's bytes). Concurrent requests for one export share one
 * download and parse; a failure is not kept (the next request tries again).
 */
import { LRUCache } from "lru-cache";
import { downloadWithRefresh, type ExportDownloader, type ExportSource } from "./download.js";
import { readUsageWorkbook } from "./workbook-reader.js";
import type { UsageTable } from "./usage-table.js";

export const DEFAULT_EXPORT_CACHE_BYTES = 134_217_728;
export const DEFAULT_EXPORT_FILE_TIME_ZONE = "Asia/Shanghai";

export interface ExportContentsOptions {
  downloader: ExportDownloader;
  /** EXPORT_CACHE_BYTES; a form larger than this is returned but not kept; 0 keeps none. */
  cacheBytes?: number;
  /** EXPORT_FILE_TIME_ZONE: the wall clock of zone-less times in the files. */
  fileTimeZone?: string;
  /** Longest one parse may take (default: the download deadline). */
  parseTimeoutMs?: number;
}

/** What happened, for tests, metrics and the benchmark. */
export interface ExportContentsStats {
  downloads: number;
  parses: number;
  hits: number;
  /** Requests that joined a load already in flight. */
  shared: number;
}

export class ExportContents {
  readonly #downloader: ExportDownloader;
  readonly #fileTimeZone: string;
  readonly #parseTimeoutMs: number;
  /** null when EXPORT_CACHE_BYTES is 0: every request past the shared one reads again. */
  readonly #cache: LRUCache<string, UsageTable> | null;
  readonly #loading = new Map<string, Promise<UsageTable>>();
  readonly #stats: ExportContentsStats = { downloads: 0, parses: 0, hits: 0, shared: 0 };

  constructor(options: ExportContentsOptions) {
    this.#downloader = options.downloader;
    this.#fileTimeZone = options.fileTimeZone ?? DEFAULT_EXPORT_FILE_TIME_ZONE;
    this.#parseTimeoutMs = options.parseTimeoutMs ?? options.downloader.timeoutMs;
    const maxSize = options.cacheBytes ?? DEFAULT_EXPORT_CACHE_BYTES;
    this.#cache =
      maxSize > 0 ? new LRUCache<string, UsageTable>({ maxSize, sizeCalculation: (table) => Math.max(1, Math.ceil(table.byteSize)) }) : null;
  }

  /**
   * The parsed usage of one finished export. `key` names the export (e.g. `USAGE_DETAIL:<taskId>`),
   * never its URL: signed URLs change, the file does not. `signal` stops this caller's wait, not
   * the shared load other callers may be waiting for.
   */
  async usageTable(key: string, source: ExportSource, signal?: AbortSignal): Promise<UsageTable> {
    const cached = this.#cache?.get(key);
    if (cached) {
      this.#stats.hits += 1;
      return cached;
    }
    let load = this.#loading.get(key);
    if (load) this.#stats.shared += 1;
    else {
      load = this.#load(key, source).finally(() => this.#loading.delete(key));
      this.#loading.set(key, load);
    }
    return signal ? abortable(load, signal) : load;
  }

  /** Drops an export's parsed form (the task was deleted). */
  forget(key: string): void {
    this.#cache?.delete(key);
  }

  get stats(): Readonly<ExportContentsStats> {
    return { ...this.#stats };
  }

  /** Bytes of parsed forms held now. */
  get heldBytes(): number {
    return this.#cache?.calculatedSize ?? 0;
  }

  async #load(key: string, source: ExportSource): Promise<UsageTable> {
    this.#stats.downloads += 1;
    const file = await downloadWithRefresh(this.#downloader, source);
    try {
      this.#stats.parses += 1;
      const table = await readUsageWorkbook(file.path, { fileTimeZone: this.#fileTimeZone, timeoutMs: this.#parseTimeoutMs });
      this.#cache?.set(key, table);
      return table;
    } finally {
      await file.dispose();
    }
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
