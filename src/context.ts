/**
 * The per-request GraphQL context: who is asking, what upstream to ask, which clock to read,
 * and the request's own loaders (created fresh per request so nothing leaks between callers).
 * The HTTP layer builds one with `createRequestContext`; the schema never sees HTTP.
 */
import { principalId } from "./auth/principal.js";
import type { CdnExportApi, ExportKind } from "./upstream/types.js";
import { PageLoader } from "./reading/page-loader.js";
import type { RecentTotals } from "./reading/recent-totals.js";
import { TaskLookup } from "./reading/entity-scan.js";
import type { TaskWatcher } from "./live/task-watch-hub.js";
import { DownloadUrlGuard, downloadUrlPolicy, type DownloadUrlPolicy } from "./exports/download-policy.js";

export const SCOPES = ["export:read", "export:create", "export:delete"] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * An authenticated caller; null when nobody authenticated. `id` is unique across kinds of
 * credential (`apikey:alice`, `jwt:alice`) and scopes per-caller state; `name` is for logs.
 */
export type Principal = { id: string; name: string; scopes: ReadonlySet<string> } | null;

/** With auth off every request acts as this principal, so schema rules still run. */
export function fullAccessPrincipal(name = "anonymous"): NonNullable<Principal> {
  return { id: principalId("anonymous", name), name, scopes: new Set<string>(SCOPES) };
}

/**
 * Runs a create at most once per idempotency key (implemented by the idempotency layer).
 * `fingerprint` identifies the request body so a reused key with other input can be refused.
 * The server builds one per request, bound to the authenticated principal, so keys are scoped
 * to the caller (src/http/idempotency-key.ts).
 */
export interface IdempotencyRunner {
  run<T>(key: string, fingerprint: string, create: () => Promise<T>): Promise<T>;
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
}

export interface RequestLoaders {
  pages: PageLoader;
  tasks: TaskLookup;
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
    loaders: {
      pages,
      tasks,
      invalidate(kind) {
        pages.clear(kind);
        tasks.clear(kind);
      },
    },
  };
}
