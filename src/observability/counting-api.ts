/**
 * How many of one GraphQL request's calls reached the upstream: the access log's
 * `upstreamCalls`. The server wraps the shared api once per request. The page cache answers
 * some reads itself (from its freshness window, or by joining a read another request started),
 * so it offers a view of itself that reports only the calls it sent on; any other api sends
 * every call it is given.
 */
import type { CdnExportApi } from "../upstream/types.js";

/** An api that knows which of its calls reach the upstream (src/reading/page-cache.ts). */
export interface CountsUpstreamCalls {
  countingUpstreamCalls(onUpstreamCall: () => void): CdnExportApi;
}

export function countUpstreamCalls(api: CdnExportApi, onCall: () => void): CdnExportApi {
  if (countsUpstreamCalls(api)) return api.countingUpstreamCalls(onCall);
  return {
    createUsageDetailTask(params, options) {
      onCall();
      return api.createUsageDetailTask(params, options);
    },
    createUserUsageTask(params, options) {
      onCall();
      return api.createUserUsageTask(params, options);
    },
    describeTasks(kind, page, options) {
      onCall();
      return api.describeTasks(kind, page, options);
    },
    deleteTask(kind, taskId, options) {
      onCall();
      return api.deleteTask(kind, taskId, options);
    },
  };
}

function countsUpstreamCalls(api: CdnExportApi): api is CdnExportApi & CountsUpstreamCalls {
  return "countingUpstreamCalls" in api && typeof api.countingUpstreamCalls === "function";
}
