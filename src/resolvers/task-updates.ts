/** `exportTaskUpdated`: the shared watch of one task (src/live), event by event. */
import type { RequestContext, TaskWatchEvent } from "../context.js";
import { ErrorCode, errorFromData, gatewayError } from "../errors.js";
import type { TaskKey } from "../reading/entity-scan.js";
import type { UpstreamTask } from "../upstream/types.js";

export function subscribeTaskUpdates(ctx: RequestContext, key: TaskKey): AsyncIterable<TaskWatchEvent> {
  if (ctx.taskWatch === null) {
    throw gatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, "Live task updates are not available on this server", { reason: "no-task-watch" });
  }
  return ctx.taskWatch.watch(key);
}

/** One event: the task, or the error that ends the stream (its last event), raised through the catalogue. */
export function taskOfUpdate(update: TaskWatchEvent): UpstreamTask {
  if (update.type === "error") throw errorFromData(update.error);
  return update.task;
}
