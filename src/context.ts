/**
 * The per-request GraphQL context: who is asking, what upstream to ask, which clock to read,
 * and the request's own loaders (created fresh per request so nothing leaks between callers).
 * The HTTP layer builds one with `createRequestContext`; the schema never sees HTTP.
 */
import type { Principal } from "./auth/principal.js";
import type { GatewayErrorData } from "./errors.js";
import type { CdnExportApi, ExportKind, UpstreamTask } from "./upstream/types.js";
import { PageLoader } from "./reading/page-loader.js";
import type { RecentTotals } from "./reading/recent-totals.js";
import { TaskLookup, type TaskKey } from "./reading/entity-scan.js";
import { DownloadUrlGuard, downloadUrlPolicy, type DownloadUrlPolicy } from "./exports/download-policy.js";
import type { ExportContents } from "./exports/export-contents.js";
import type { IdempotentRequest } from "./state/fingerprint.js";

// Kept for the composition root's imports while server.ts is being split; the type is auth's.
export type { Principal } from "./auth/principal.js";

/**
 * Runs a create at most once per idempotency key (implemented by the idempotency layer).
 * `request` names the operation and its input: a reused key with other input is refused. The
 * server builds one per request, bound to the authenticated principal, so keys are scoped to
 * the caller (src/http/idempotency-key.ts).
 */
export interface IdempotencyRunner {
  run<T>(key: string, request: IdempotentRequest, create: () => Promise<T>): Promise<T>;
}

/** One event of a task watch: the task as last read, or the error that ends the watch. */
export type TaskWatchEvent = { type: "task"; task: UpstreamTask } | { type: "error"; error: GatewayErrorData };

/** The process's shared task watches as `exportTaskUpdated` uses them (src/live provides them). */
export interface TaskWatcher {
  /** The task's events; ending the iteration (client gone) unsubscribes. */
  watch(key: TaskKey): AsyncIterable<TaskWatchEvent>;
}

/** Reading finished exports' files (`usage`, `sheets`, the CSV route); one per process. */
export interface ExportFiles {
  contents: ExportContents;
  /** The task as the upstream lists it now, past every cache: a fresh DownloadUrl when one expired. */
  freshTask(key: TaskKey): Promise<UpstreamTask | null>;
}

export interface RequestContextDeps {
  api: CdnExportApi;
  /** Milliseconds since the epoch; resolvers never read Date.now themselves. */
  now: () => number;
  principal: Principal;
  /** From the `Idempotency-Key` header; `input.idempotencyKey` wins when both are given. */
  idempotencyKey?: string | null;
  idempotency?: IdempotencyRunner;
  /** Aborts upstream reads when the client goes away. */
  signal?: AbortSignal;
  /** Bound on pages one entity scan reads per kind. */
  maxScanPages?: number;
  /** The app's totals from earlier requests: entity scans plan their first wave with them. */
  recentTotals?: RecentTotals;
  /** The process's shared task watches (`exportTaskUpdated`); null = subscriptions unavailable. */
  taskWatch?: TaskWatcher | null;
  /**
   * Which DownloadUrls clients may see. Default: https to Alibaba Cloud hosts only
   * (`downloadUrlPolicy()`), so a context built without one never shows another host; the
   * server adds the embedded emulator's origin in emulator mode.
   */
  downloadPolicy?: DownloadUrlPolicy;
  /** Export files; null or absent: `usage` and `sheets` fail with EXPORT_UNAVAILABLE. */
  exportFiles?: ExportFiles | null;
}

export interface RequestLoaders {
  pages: PageLoader;
  tasks: TaskLookup;
  /** Bound on pages one scan (entity lookup, filtered walk) reads per kind; undefined = the default. */
  maxScanPages: number | undefined;
  /** Drops what this request read of `kind` (after creating or deleting a task of it). */
  invalidate(kind: ExportKind): void;
}

export interface RequestContext {
  api: CdnExportApi;
  now: () => number;
  principal: Principal;
  idempotencyKey: string | null;
  idempotency: IdempotencyRunner | null;
  signal: AbortSignal | null;
  loaders: RequestLoaders;
  /** Shared across requests: one poll per watched task, however many subscribers. */
  taskWatch: TaskWatcher | null;
  /** DownloadUrls checked against the download policy, once per task per request. */
  downloads: DownloadUrlGuard;
  exportFiles: ExportFiles | null;
}

export function createRequestContext(deps: RequestContextDeps): RequestContext {
  const pages = new PageLoader(deps.api, {
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.recentTotals ? { recentTotals: deps.recentTotals } : {}),
  });
  const tasks = new TaskLookup(pages, deps.maxScanPages === undefined ? {} : { maxPages: deps.maxScanPages });
  return {
    api: deps.api,
    now: deps.now,
    principal: deps.principal,
    idempotencyKey: deps.idempotencyKey ?? null,
    idempotency: deps.idempotency ?? null,
    signal: deps.signal ?? null,
    taskWatch: deps.taskWatch ?? null,
    downloads: new DownloadUrlGuard(deps.downloadPolicy ?? downloadUrlPolicy()),
    exportFiles: deps.exportFiles ?? null,
    loaders: {
      pages,
      tasks,
      maxScanPages: deps.maxScanPages,
      invalidate(kind) {
        pages.clear(kind);
        tasks.clear(kind);
      },
    },
  };
}
