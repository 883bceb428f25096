/**
 * Page freshness window (`CDN_CACHE_TTL_MS`, design.md "Reading the upstream efficiently"):
 * a `CdnExportApi` decorator where identical page reads in flight share one upstream call and
 * a page read is reused for `ttlMs`. Creating or deleting a task drops that kind at once, here
 * and, through the bus, on every replica.
 *
 * Staleness guard: each kind has a generation, bumped by every invalidation. A read remembers the
 * generation it started in and only stores its page if none has happened since, so a read that
 * raced a create can never put the pre-create page back into the cache.
 */
import type { InvalidationBus } from "../state/invalidation-bus.js";
import type { CallOptions, CdnExportApi, ExportKind, PageRequest, TaskPage } from "../upstream/types.js";

export interface PageCacheObserver {
  /** `hit`: from the window; `shared`: joined a read in flight; `miss`: called the upstream. */
  onRead?(event: { kind: ExportKind; outcome: "hit" | "shared" | "miss" }): void;
  onInvalidate?(event: { kind: ExportKind; source: "local" | "bus" }): void;
}

export interface PageCacheOptions {
  /** Freshness window; 0 = pages are never stored (reads in flight are still shared). */
  ttlMs: number;
  bus?: InvalidationBus | null;
  now?: () => number;
  /** Most pages kept; the least recently used go first. */
  maxEntries?: number;
  observer?: PageCacheObserver;
  /** A failed bus publish (the local invalidation already happened). */
  onError?: (error: unknown) => void;
}

export interface CachedCdnExportApi extends CdnExportApi {
  /** Drop every page of `kind` held or being read by this instance (not other replicas). */
  invalidate(kind: ExportKind): void;
  /** Stop listening to the bus. */
  close(): void;
}

interface StoredPage {
  page: TaskPage;
  expiresAt: number;
}

interface Flight {
  kind: ExportKind;
  promise: Promise<TaskPage>;
}

export function createCachedApi(api: CdnExportApi, options: PageCacheOptions): CachedCdnExportApi {
  const ttlMs = Math.max(0, options.ttlMs);
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 1_000;
  const observer = options.observer ?? {};
  const bus = options.bus ?? null;
  const stored = new Map<string, StoredPage>(); // Map order = least recently used first
  const inFlight = new Map<string, Flight>();
  const generations = new Map<ExportKind, number>();
  const generationOf = (kind: ExportKind): number => generations.get(kind) ?? 0;

  const dropKind = (kind: ExportKind, source: "local" | "bus"): void => {
    generations.set(kind, generationOf(kind) + 1);
    const prefix = `${kind}:`;
    for (const key of stored.keys()) if (key.startsWith(prefix)) stored.delete(key);
    // Later reads must not join a call that started before the change.
    for (const [key, flight] of inFlight) if (flight.kind === kind) inFlight.delete(key);
    observer.onInvalidate?.({ kind, source });
  };
  const unsubscribe = bus?.subscribe((kind) => dropKind(kind, "bus")) ?? (() => undefined);

  const store = (key: string, page: TaskPage, expiresAt: number): void => {
    stored.delete(key);
    stored.set(key, { page, expiresAt });
    for (const oldest of stored.keys()) {
      if (stored.size <= maxEntries) break;
      stored.delete(oldest);
    }
  };

  const fresh = (key: string): TaskPage | null => {
    const entry = stored.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt <= now()) {
      stored.delete(key);
      return null;
    }
    stored.delete(key); // touch for LRU
    stored.set(key, entry);
    return entry.page;
  };

  /** Invalidate after the write settles either way: a timed-out create may still have happened. */
  const afterWrite = async <T>(kind: ExportKind, write: Promise<T>): Promise<T> => {
    try {
      return await write;
    } finally {
      dropKind(kind, "local");
      if (bus !== null) await bus.publish(kind).catch((error: unknown) => options.onError?.(error));
    }
  };

  return {
    describeTasks(kind: ExportKind, page: PageRequest, callOptions?: CallOptions): Promise<TaskPage> {
      const key = `${kind}:${page.pageNumber}:${page.pageSize}`;
      const hit = ttlMs > 0 ? fresh(key) : null;
      if (hit !== null) {
        observer.onRead?.({ kind, outcome: "hit" });
        return Promise.resolve(copyOf(hit));
      }
      let flight = inFlight.get(key);
      observer.onRead?.({ kind, outcome: flight === undefined ? "miss" : "shared" });
      if (flight === undefined) {
        const generation = generationOf(kind);
        const startedAt = now();
        // No caller's signal: the call is shared, one caller leaving must not fail the others.
        const promise = api.describeTasks(kind, { pageNumber: page.pageNumber, pageSize: page.pageSize }).then((result) => {
          if (ttlMs > 0 && generationOf(kind) === generation) store(key, result, startedAt + ttlMs);
          return result;
        });
        const started: Flight = { kind, promise };
        flight = started;
        inFlight.set(key, started);
        const settle = (): void => {
          if (inFlight.get(key) === started) inFlight.delete(key);
        };
        promise.then(settle, settle);
      }
      return abortable(flight.promise.then(copyOf), callOptions?.signal);
    },
    createUsageDetailTask(params, callOptions) {
      return afterWrite("USAGE_DETAIL", api.createUsageDetailTask(params, callOptions));
    },
    createUserUsageTask(params, callOptions) {
      return afterWrite("USER_USAGE", api.createUserUsageTask(params, callOptions));
    },
    deleteTask(kind, taskId, callOptions) {
      return afterWrite(kind, api.deleteTask(kind, taskId, callOptions));
    },
    invalidate(kind) {
      dropKind(kind, "local");
    },
    close() {
      unsubscribe();
    },
  };
}

/** Each caller gets its own page and task list; the task objects are shared, read-only by convention. */
function copyOf(page: TaskPage): TaskPage {
  return { ...page, tasks: [...page.tasks] };
}

/** The caller stops waiting when its signal aborts; the shared call carries on for the others. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(toError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(toError(signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(toError(error));
      },
    );
  });
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
