/** `exportTaskUpdated`: the shared watch of one task (src/live), event by event. */
import type { RequestContext } from "../context.js";
import { ErrorCode, gatewayError } from "../errors.js";
import type { TaskUpdate } from "../live/task-update.js";
import { reviveError } from "../live/task-update.js";
import type { TaskKey } from "../reading/entity-scan.js";
import type { UpstreamTask } from "../upstream/types.js";

export function subscribeTaskUpdates(ctx: RequestContext, key: TaskKey): AsyncIterable<TaskUpdate> {
  if (ctx.taskWatch === null) {
    throw gatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, "Live task updates are not available on this server", { reason: "no-task-watch" });
  }
  return ctx.taskWatch.watch(key);
}

/** One event: the task, or the error that ends the stream (its last event). */
export function taskOfUpdate(update: TaskUpdate): UpstreamTask {
  if (update.type === "error") throw reviveError(update.error);
  return update.task;
}
