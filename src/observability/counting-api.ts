/**
 * A CdnExportApi that counts the calls passing through it, so the access log can say how many
 * upstream reads one GraphQL request caused. The server wraps the shared api once per request.
 */
import type { CdnExportApi } from "../upstream/types.js";

export function countUpstreamCalls(api: CdnExportApi, onCall: () => void): CdnExportApi {
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
