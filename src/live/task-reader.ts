/**
 * How a watch reads its task: the same path every query uses (the shared, cached and quota'd
 * `CdnExportApi`, pages of PageSize 50, one entity scan), so a poll costs what a `task` query
 * costs and shares the page freshness window with every other reader of that kind.
 */
import { TaskLookup, type TaskKey } from "../reading/entity-scan.js";
import { PageLoader } from "../reading/page-loader.js";
import type { CdnExportApi, UpstreamTask } from "../upstream/types.js";

/** The task as the upstream lists it now; null when it does not list it. */
export type TaskReader = (key: TaskKey, signal: AbortSignal) => Promise<UpstreamTask | null>;

export interface TaskReaderOptions {
  /** Bound on pages one scan reads (default: the entity scan's). */
  maxScanPages?: number;
}

export function createTaskReader(api: CdnExportApi, options: TaskReaderOptions = {}): TaskReader {
  return (key, signal) => {
    // Fresh loaders per poll: each poll must see the upstream (or the shared window), not a memo.
    const pages = new PageLoader(api, { signal });
    const lookup = new TaskLookup(pages, options.maxScanPages === undefined ? {} : { maxPages: options.maxScanPages });
    return lookup.load(key);
  };
}
