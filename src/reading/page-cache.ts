/**
 * The page cache (design.md "Reading the upstream efficiently"): one `lru-cache` in front of the
 * signed client, so that a task list 500 people have open costs one upstream read per page and
 * freshness window, not 500. Its `fetch` shares one upstream call among identical reads in
 * flight; a page is then served for `CDN_CACHE_TTL_MS` (0: never served again, but reads in
 * flight are still shared); at most `maxEntries` pages are kept, least recently used out first.
 * Creating or deleting a task through this gateway drops that kind at once, here and, through
 * the invalidation bus, on every replica.
 *
 * Staleness guard: each kind has a generation, bumped by every invalidation and part of every
 * key. A read in flight when its kind changed keeps its old key: later reads do not join it, and
 * the page it brings back is never served to anyone else.
 *
 * Second tier (`shared`, with Redis): a page this process does not hold fresh is asked of Redis,
 * where any replica's read of it within the window is kept; on a miss there one replica reads
 * the upstream while the others wait for its page (src/state/shared-reads.ts). A page from Redis
 * is kept here only for what is left of its window.
 */
import { LRUCache } from "lru-cache";
import type { Invalidation, InvalidationBus } from "../state/invalidation-bus.js";
import { createPageReadTracing, type PageReadSpan } from "./page-read-span.js";
import type { SharedReads } from "../state/shared-reads.js";
import { TASK_PAGE_CODEC } from "./page-codec.js";
import { abortable, toError } from "../upstream/abortable.js";
import { EXPORT_KINDS, type CallOptions, type CdnExportApi, type ExportKind, type PageRequest, type TaskPage } from "../upstream/types.js";

export interface PageCacheObserver {
  onInvalidate?(event: { kind: ExportKind; source: "local" | "bus" }): void;
}

export interface PageCacheOptions {
  /** Freshness window; 0 = no window (identical reads in flight are still shared). */
  ttlMs: number;
  bus?: InvalidationBus | null;
  /** Pages shared by replicas through Redis (second tier); null = this process only. */
  shared?: SharedReads | null;
  /** Clock for the window, in ms. Default performance.now. */
  now?: () => number;
  /** Most pages kept; the least recently used go first. Default 1000. */
  maxEntries?: number;
  observer?: PageCacheObserver;
  /** A failed bus publish (the local invalidation already happened). */
  onError?: (error: unknown) => void;
}

export interface PageCache extends CdnExportApi {
  /**
   * This cache as one GraphQL request sees it: `onUpstreamCall` runs for each of its calls that
   * reaches the upstream (writes, and page reads it starts), not for pages from the window or
   * reads it joins (the access log's `upstreamCalls`).
   */
  countingUpstreamCalls(onUpstreamCall: () => void): CdnExportApi;
  /** Drop every page of `kind` held or being read by this instance (not other replicas). */
  invalidate(kind: ExportKind): void;
  /** Stop listening to the bus. */
  close(): void;
}

/** What the fetch of one key reads. */
interface PageRead {
  kind: ExportKind;
  page: PageRequest;
  /** The request that started the read, told when it reaches the upstream (not Redis). */
  onUpstreamCall: (() => void) | undefined;
}

/**
 * lru-cache serves an entry while its age is at most its ttl; a page is fresh only while it is
 * younger than ttlMs. The cache's clock counts microseconds so that can be said exactly.
 */
const TICKS_PER_MS = 1000;

export function createPageCache(api: CdnExportApi, options: PageCacheOptions): PageCache {
  const ttlMs = Math.max(0, options.ttlMs);
  const windowless = ttlMs === 0;
  const now = options.now ?? (() => performance.now());
  const ticks = (): number => now() * TICKS_PER_MS;
  const windowTicks = ttlMs * TICKS_PER_MS - 1;
  const observer = options.observer ?? {};
  const bus = options.bus ?? null;
  const shared = windowless ? null : (options.shared ?? null);
  const generations = new Map<ExportKind, number>();
  const generationOf = (kind: ExportKind): number => generations.get(kind) ?? 0;

  const tracing = createPageReadTracing();
  const pages = new LRUCache<string, TaskPage, PageRead>({
    max: options.maxEntries ?? 1_000,
    ...(windowless ? {} : { ttl: windowTicks }),
    perf: { now: ticks },
    ttlResolution: 0,
    // An eviction or invalidation while a read is out only detaches it: its waiters still get it.
    ignoreFetchAbort: true,
    fetchMethod: async (key, _stale, { context, options: entry }) => {
      const startedAt = ticks();
      // No caller's signal: the read is shared, one caller leaving must not fail the others.
      const read = (): Promise<TaskPage> => {
        context.onUpstreamCall?.();
        return tracing.fetch(key, () => api.describeTasks(context.kind, context.page));
      };
      if (shared === null) {
        const page = await read();
        // A page is as old as its read: the window counts from when the read started (it may
        // have waited for a quota slot).
        if (!windowless) entry.ttl = Math.max(1, startedAt + windowTicks - ticks());
        return page;
      }
      const { pageNumber, pageSize } = context.page;
      const found = await shared.read(context.kind, `${pageNumber}:${pageSize}`, read, TASK_PAGE_CODEC, ttlMs);
      const leftTicks = found.freshForMs === null ? startedAt + windowTicks - ticks() : found.freshForMs * TICKS_PER_MS - 1;
      entry.ttl = Math.max(1, leftTicks);
      return found.value;
    },
  });

  const dropKind = (kind: ExportKind, source: "local" | "bus"): void => {
    generations.set(kind, generationOf(kind) + 1);
    const prefix = `${kind}:`;
    for (const key of [...pages.keys()]) if (key.startsWith(prefix)) pages.delete(key);
    observer.onInvalidate?.({ kind, source });
  };
  const onBusMessage = (change: Invalidation): void => {
    if (change === "everything") for (const kind of EXPORT_KINDS) dropKind(kind, "bus");
    else if (isExportKind(change.kind)) dropKind(change.kind, "bus");
  };
  const unsubscribe = bus?.subscribe(onBusMessage) ?? (() => undefined);

  function describeTasks(kind: ExportKind, page: PageRequest, callOptions?: CallOptions, onUpstreamCall?: () => void): Promise<TaskPage> {
    return tracing.read(kind, page, (span) => readPage(kind, page, callOptions, onUpstreamCall, span));
  }

  function readPage(kind: ExportKind, page: PageRequest, callOptions: CallOptions | undefined, onUpstreamCall: (() => void) | undefined, span: PageReadSpan | undefined): Promise<TaskPage> {
    const signal = callOptions?.signal;
    if (signal?.aborted) return Promise.reject(toError(signal.reason));
    const generation = generationOf(kind);
    const key = `${kind}:${generation}:${page.pageNumber}:${page.pageSize}`;
    const status: LRUCache.Status<string, TaskPage, PageRead> = {};
    const read = pages.forceFetch(key, {
      status,
      context: { kind, page: { pageNumber: page.pageNumber, pageSize: page.pageSize }, onUpstreamCall },
      // Without a window a kept page is never served (the bound still holds what is kept), but a
      // read in flight is still joined.
      forceRefresh: windowless,
    });
    span?.served(status.fetch === "hit" ? "hit" : status.fetch === "inflight" ? "shared" : "miss", key);
    const settled = read.then((found) => {
      // Landed after its kind changed: no later read asks for this key, so do not keep it.
      if (generationOf(kind) !== generation) pages.delete(key);
      return copyOf(found);
    });
    return abortable(settled, signal);
  }

  /** Invalidate after the write settles either way: a timed-out create may still have happened. */
  const afterWrite = async <T>(kind: ExportKind, write: Promise<T>): Promise<T> => {
    try {
      return await write;
    } finally {
      dropKind(kind, "local");
      // Redis's generation first: a replica that drops its pages on the bus message must not
      // find the old ones in Redis.
      if (shared !== null) await shared.invalidate(kind);
      if (bus !== null) await bus.publish(kind).catch((error: unknown) => options.onError?.(error));
    }
  };

  const writesCounted = (onUpstreamCall: () => void): Omit<CdnExportApi, "describeTasks"> => ({
    createUsageDetailTask(params, callOptions) {
      onUpstreamCall();
      return afterWrite("USAGE_DETAIL", api.createUsageDetailTask(params, callOptions));
    },
    createUserUsageTask(params, callOptions) {
      onUpstreamCall();
      return afterWrite("USER_USAGE", api.createUserUsageTask(params, callOptions));
    },
    deleteTask(kind, taskId, callOptions) {
      onUpstreamCall();
      return afterWrite(kind, api.deleteTask(kind, taskId, callOptions));
    },
  });

  return {
    describeTasks: (kind, page, callOptions) => describeTasks(kind, page, callOptions),
    ...writesCounted(() => undefined),
    countingUpstreamCalls: (onUpstreamCall) => ({
      describeTasks: (kind, page, callOptions) => describeTasks(kind, page, callOptions, onUpstreamCall),
      ...writesCounted(onUpstreamCall),
    }),
    invalidate(kind) {
      dropKind(kind, "local");
    },
    close() {
      unsubscribe();
    },
  };
}

function isExportKind(name: string): name is ExportKind {
  return (EXPORT_KINDS as readonly string[]).includes(name);
}

/** Each caller gets its own page and task list; the task objects are shared, read-only by convention. */
function copyOf(page: TaskPage): TaskPage {
  return { ...page, tasks: [...page.tasks] };
}
