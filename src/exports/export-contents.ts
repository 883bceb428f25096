/**
 * Parsed exports, kept: a finished export never changes, so each is downloaded and parsed
 * once and its parsed form (usage columns and raw sheets, parsed-export.ts) kept in process up
 * to EXPORT_CACHE_BYTES, least recently used first (lru-cache, sized by each form's bytes).
 * Concurrent requests for one export share one download and parse; a failure is not kept (the
 * next request tries again). With a shared store (REDIS_URL), replicas share one read too
 * (shared-loads.ts).
 */
import { bulkhead, type BulkheadPolicy } from "cockatiel";
import { LRUCache } from "lru-cache";
import { downloadWithRefresh, type DownloadedFile, type ExportDownloader, type ExportSource } from "./download.js";
import type { ParsedExport } from "./parsed-export.js";
import type { SharedLoads } from "./shared-loads.js";
import { readExportWorkbook } from "./workbook-reader.js";
import type { UsageTable } from "./usage-table.js";
import { abortable } from "../upstream/abortable.js";

export const DEFAULT_EXPORT_CACHE_BYTES = 134_217_728;
/**
 * Files read at once in this process; more wait their turn. A parse of the largest export holds
 * tens of MB while it runs: a query asking `usage` of 40 tasks must not hold 40 of them at once.
 */
export const DEFAULT_CONCURRENT_READS = 2;
export const DEFAULT_EXPORT_FILE_TIME_ZONE = "Asia/Shanghai";

export interface ExportContentsOptions {
  downloader: ExportDownloader;
  /** EXPORT_CACHE_BYTES; a form larger than this is returned but not kept; 0 keeps none. */
  cacheBytes?: number;
  /** EXPORT_FILE_TIME_ZONE: the wall clock of zone-less times in the files. */
  fileTimeZone?: string;
  /** Longest one parse may take (default: the download deadline). */
  parseTimeoutMs?: number;
  /** One read for all replicas (REDIS_URL); null: this process only. */
  shared?: SharedLoads | null;
  /** Files downloaded and parsed at once (default DEFAULT_CONCURRENT_READS). */
  concurrentReads?: number;
  /** Told of each file read in this process (logs: one line per download and parse). */
  onRead?: (event: ExportReadEvent) => void;
  /**
   * Wraps each download and each parse (tracing's `export.fetch` / `export.parse` spans go
   * here). `host` is the download URL's host: the URL itself is a credential.
   */
  around?: ExportStepWrappers;
}

export interface ExportStepInfo {
  /** The export's key (`USAGE_DETAIL:<taskId>`). */
  key: string;
  /** The download URL's host, never the URL. */
  host: string | null;
}

/** One file downloaded and parsed here. Never the URL: its host at most. */
export interface ExportReadEvent {
  key: string;
  host: string | null;
  fileBytes: number;
  rows: number;
  /** Bytes of the parsed form kept (usage columns and raw sheets). */
  formBytes: number;
  downloadMs: number;
  parseMs: number;
}

export type ExportStepWrapper = <T>(info: ExportStepInfo, run: () => Promise<T>) => Promise<T>;

export interface ExportStepWrappers {
  fetch?: ExportStepWrapper;
  parse?: ExportStepWrapper;
}

/** What happened, for tests, metrics and the benchmark. */
export interface ExportContentsStats {
  downloads: number;
  parses: number;
  hits: number;
  /** Requests that joined a load already in flight. */
  shared: number;
  /** Loads answered by another replica's read (the shared store). */
  fromStore: number;
}

export class ExportContents {
  readonly #downloader: ExportDownloader;
  readonly #fileTimeZone: string;
  readonly #parseTimeoutMs: number;
  /** null when EXPORT_CACHE_BYTES is 0: every request past the shared one reads again. */
  readonly #cache: LRUCache<string, ParsedExport> | null;
  readonly #loading = new Map<string, Promise<ParsedExport>>();
  readonly #stats: ExportContentsStats = { downloads: 0, parses: 0, hits: 0, shared: 0, fromStore: 0 };
  readonly #shared: SharedLoads | null;
  readonly #around: ExportStepWrappers;
  readonly #reads: BulkheadPolicy;
  readonly #onRead: ((event: ExportReadEvent) => void) | undefined;

  constructor(options: ExportContentsOptions) {
    this.#downloader = options.downloader;
    this.#fileTimeZone = options.fileTimeZone ?? DEFAULT_EXPORT_FILE_TIME_ZONE;
    this.#parseTimeoutMs = options.parseTimeoutMs ?? options.downloader.timeoutMs;
    this.#shared = options.shared ?? null;
    this.#around = options.around ?? {};
    this.#onRead = options.onRead;
    this.#reads = bulkhead(Math.max(1, options.concurrentReads ?? DEFAULT_CONCURRENT_READS), Number.POSITIVE_INFINITY);
    const maxSize = options.cacheBytes ?? DEFAULT_EXPORT_CACHE_BYTES;
    this.#cache =
      maxSize > 0 ? new LRUCache<string, ParsedExport>({ maxSize, sizeCalculation: (parsed) => Math.max(1, Math.ceil(parsed.byteSize)) }) : null;
  }

  /** The parsed usage of one finished export (see `parsed`). */
  async usageTable(key: string, source: ExportSource, signal?: AbortSignal): Promise<UsageTable> {
    return (await this.parsed(key, source, signal)).usage;
  }

  /**
   * The parsed form of one finished export. `key` names the export (e.g. `USAGE_DETAIL:<taskId>`),
   * never its URL: signed URLs change, the file does not. `signal` stops this caller's wait, not
   * the shared load other callers may be waiting for.
   */
  async parsed(key: string, source: ExportSource, signal?: AbortSignal): Promise<ParsedExport> {
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
    return abortable(load, signal);
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

  async #load(key: string, source: ExportSource): Promise<ParsedExport> {
    let parsed: ParsedExport;
    if (this.#shared === null) parsed = await this.#readHere(key, source);
    else {
      const shared = await this.#shared.load(key, () => this.#readHere(key, source));
      if (shared.outcome === "from-store") this.#stats.fromStore += 1;
      parsed = shared.parsed;
    }
    this.#cache?.set(key, parsed);
    return parsed;
  }

  /** Downloads and parses the file in this process, when a read slot is free. */
  #readHere(key: string, source: ExportSource): Promise<ParsedExport> {
    return this.#reads.execute(() => this.#read(key, source));
  }

  async #read(key: string, source: ExportSource): Promise<ParsedExport> {
    const info: ExportStepInfo = { key, host: hostOf(source.url) };
    this.#stats.downloads += 1;
    const startedAt = performance.now();
    const file: DownloadedFile = await step(this.#around.fetch, info, () => downloadWithRefresh(this.#downloader, source));
    try {
      this.#stats.parses += 1;
      const downloadedAt = performance.now();
      const parsed = await step(this.#around.parse, info, () => readExportWorkbook(file.path, { fileTimeZone: this.#fileTimeZone, timeoutMs: this.#parseTimeoutMs }));
      const ms = (from: number, to: number): number => Math.round(to - from);
      this.#onRead?.({ ...info, fileBytes: file.bytes, rows: parsed.usage.rowCount, formBytes: Math.round(parsed.byteSize), downloadMs: ms(startedAt, downloadedAt), parseMs: ms(downloadedAt, performance.now()) });
      return parsed;
    } finally {
      await file.dispose();
    }
  }
}

function step<T>(wrap: ExportStepWrapper | undefined, info: ExportStepInfo, run: () => Promise<T>): Promise<T> {
  return wrap === undefined ? run() : wrap(info, run);
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}
