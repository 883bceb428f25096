/**
 * The process's export reading, as the composition root builds it: one downloader under the
 * download policy and the EXPORT_* limits, one cache of parsed exports, shared through Redis
 * when there is one, and a way to read a task's current DownloadUrl past every cache (an
 * expired link is refreshed from the upstream's list itself, not from a cached page).
 */
import type { Redis } from "ioredis";
import { TaskLookup, type TaskKey } from "../reading/entity-scan.js";
import { PageLoader } from "../reading/page-loader.js";
import { createRedisExportStore } from "../state/export-store.js";
import type { CdnExportApi, UpstreamTask } from "../upstream/types.js";
import type { DownloadUrlPolicy } from "./download-policy.js";
import { ExportDownloader } from "./download.js";
import { ExportContents, type ExportReadEvent, type ExportStepWrappers } from "./export-contents.js";
import { SharedLoads } from "./shared-loads.js";

export interface ExportReadingOptions {
  /** GatewayConfig.exports. */
  limits: { maxFileBytes: number; fetchTimeoutMs: number; fileTimeZone: string; cacheBytes: number; sharedTtlMs: number };
  /** Which download URLs may be fetched (the same policy that decides which clients see). */
  policy: DownloadUrlPolicy;
  /** The signed client itself, not the page cache: refreshed links must be fresh. */
  upstream: CdnExportApi;
  /** REDIS_URL's commands connection and key prefix; null: this process only. */
  redis: { commands: Pick<Redis, "getBuffer" | "set" | "eval">; keyPrefix: string } | null;
  /** A Redis command failed while sharing a read (the read went on here). */
  onSharedStoreError?: (error: unknown) => void;
  /** Tracing's spans around each download and parse. */
  around?: ExportStepWrappers;
  /** Each file downloaded and parsed in this process. */
  onRead?: (event: ExportReadEvent) => void;
}

export interface ExportReading {
  contents: ExportContents;
  freshTask(key: TaskKey): Promise<UpstreamTask | null>;
  close(): Promise<void>;
}

export function createExportReading(options: ExportReadingOptions): ExportReading {
  const { limits } = options;
  const downloader = new ExportDownloader({ policy: options.policy, maxBytes: limits.maxFileBytes, timeoutMs: limits.fetchTimeoutMs });
  const shared =
    options.redis === null
      ? null
      : new SharedLoads({
          store: createRedisExportStore({ redis: options.redis.commands, keyPrefix: options.redis.keyPrefix }),
          ttlMs: limits.sharedTtlMs,
          // A download and a parse each have EXPORT_FETCH_TIMEOUT_MS: past both, the holder is stuck.
          maxWaitMs: 2 * limits.fetchTimeoutMs + 5_000,
          ...(options.onSharedStoreError ? { onStoreError: options.onSharedStoreError } : {}),
        });
  const contents = new ExportContents({
    downloader,
    cacheBytes: limits.cacheBytes,
    fileTimeZone: limits.fileTimeZone,
    parseTimeoutMs: limits.fetchTimeoutMs,
    shared,
    ...(options.around ? { around: options.around } : {}),
    ...(options.onRead ? { onRead: options.onRead } : {}),
  });
  return {
    contents,
    // A fresh loader per refresh: nothing read before (by this request or the page cache) is reused.
    freshTask: (key) => new TaskLookup(new PageLoader(options.upstream)).load(key),
    close: () => downloader.close(),
  };
}
