/**
 * `Subscription.exportTaskUpdated`, served over SSE (POST /graphql with
 * `Accept: text/event-stream`). First event: the task now; then each change; completes after
 * SUCCESS or FAILED. Everyone watching one task shares one poll (src/live/task-watch-hub.ts).
 */
import { subscribeTaskUpdates, taskOfUpdate } from "../resolvers/task-updates.js";
import { taskIdInput } from "../resolvers/input-rules.js";
import type { TaskUpdate } from "../live/task-update.js";
import { builder } from "./builder.js";
import { ExportKind } from "./enums.js";
import { ExportTask } from "./export-task.js";

builder.subscriptionType({});

builder.subscriptionFields((t) => ({
  exportTaskUpdated: t.field({
    type: ExportTask,
    description:
      "The task's current state, then every change (polled upstream with backoff, one poll per task however many clients watch). " +
      "Completes after SUCCESS or FAILED; ends with NOT_FOUND when the upstream does not list the task.",
    authScopes: { "export:read": true },
    args: {
      kind: t.arg({ type: ExportKind, required: true }),
      taskId: t.arg.string({ required: true, validate: taskIdInput }),
    },
    subscribe: (_root, args, ctx) => subscribeTaskUpdates(ctx, { kind: args.kind, taskId: args.taskId }),
    resolve: (update: TaskUpdate) => taskOfUpdate(update),
  }),
}));
