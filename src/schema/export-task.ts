/**
 * `ExportTask` (Relay node, federation entity keyed by `kind taskId`) and the queries that
 * return it: `tasks`, `task`, and the relay `node` lookup.
 * Reading a task needs `export:read` wherever it appears, including federation `_entities`.
 */
import type { UpstreamTask, ExportKind as ExportKindValue } from "../upstream/types.js";
import { lookupReference, lookupTask, nodeIdOf, parseNodeId } from "../resolvers/task-lookup.js";
import { resolveTasksConnection } from "../resolvers/tasks-connection.js";
import { taskStatus } from "../reading/task-status.js";
import { taskIdInput } from "../resolvers/input-rules.js";
import { MAX_WINDOW_SIZE } from "../reading/paging.js";
import { builder } from "./builder.js";
import { requireScope } from "./auth.js";
import { decodeGlobalId, encodeGlobalId, requireNodeType } from "./global-id.js";
import { ExportKind, ExportTaskStatus } from "./enums.js";
import { TaskFilter } from "./task-filter.js";
import "./scalars.js";

export const ExportTask = builder.objectRef<UpstreamTask>("ExportTask");

/** Which `Node` a value is; ExportTask is the only one. */
function isUpstreamTask(value: unknown): value is UpstreamTask {
  return typeof value === "object" && value !== null && "taskId" in value && "kind" in value && "rawStatus" in value;
}

// Declared as an object implementing Node rather than with relay's `builder.node()`: that one
// resolves `id` with an async function, and one promise per task turns every task of a list
// into an async object (measured: about 40 % of what a hot \`tasks\` query allocates). The id
// is plain data; `node(id)` (builder.ts) loads through the same TaskLookup as `task`.
builder.objectType(ExportTask, {
  description: "One export task of the CDN usage-export API.",
  interfaces: [builder.nodeInterfaceRef()],
  isTypeOf: isUpstreamTask,
  authScopes: { "export:read": true },
  // Checked once per task object, so every path to a task (tasks, task, node, _entities,
  // a create payload) enforces it.
  runScopesOnType: true,
  fields: (t) => ({
    id: t.id({ resolve: (task) => encodeGlobalId(ExportTask.name, nodeIdOf(task)) }),
    kind: t.expose("kind", { type: ExportKind }),
    taskId: t.exposeString("taskId"),
    name: t.exposeString("name", { nullable: true }),
    status: t.field({ type: ExportTaskStatus, resolve: (task) => taskStatus(task.rawStatus) }),
    rawStatus: t.exposeString("rawStatus", { description: "The upstream's own status word." }),
    createdAt: t.field({ type: "DateTime", resolve: (task) => task.createTime }),
    updatedAt: t.field({ type: "DateTime", nullable: true, resolve: (task) => task.updateTime }),
    startTime: t.field({ type: "DateTime", nullable: true, description: "TaskConfig.StartTime", resolve: (task) => task.startTime }),
    endTime: t.field({ type: "DateTime", nullable: true, description: "TaskConfig.EndTime", resolve: (task) => task.endTime }),
    downloadUrl: t.string({
      nullable: true,
      description: "Excel file; set once the task succeeded, null when its host is not the upstream's own download host (see download).",
      resolve: (task, _args, ctx) => ctx.downloads.urlOf(task),
    }),
  }),
});

builder.asEntity(ExportTask, {
  key: builder.selection<{ kind: ExportKindValue; taskId: string }>("kind taskId"),
  resolveReference: (reference, ctx) => {
    // `_entities` is added outside Pothos' resolver wrapping: check before any upstream read.
    requireScope(ctx, "export:read");
    return lookupReference(ctx, reference);
  },
});

const kindArg = builder.args((t) => ({
  kind: t.field({ type: ExportKind, required: true, defaultValue: "USAGE_DETAIL" }),
}));

builder.queryField("node", (t) =>
  t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    authScopes: { "export:read": true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => {
      const { typename, id } = decodeGlobalId(args.id);
      requireNodeType(typename);
      return lookupTask(ctx, parseNodeId(id));
    },
  }),
);

builder.queryFields((t) => ({
  tasks: t.connection(
    {
      type: ExportTask,
      description:
        `Export tasks of the last three months, in upstream order (newest first). first/last 1–${MAX_WINDOW_SIZE}. ` +
        "Cursors name their task: when tasks are created or deleted between pages, after/before continue from that task's " +
        "current position, so a walk sees every task that existed when it began exactly once. Cursors belong to the list " +
        "that issued them (kind and filter): another list refuses them (BAD_USER_INPUT, rule cursor-mismatch). With a " +
        "filter, only matching tasks are listed and totalCount counts them.",
      authScopes: { "export:read": true },
      args: {
        ...kindArg,
        filter: t.arg({ type: TaskFilter, description: "Only tasks matching every given condition." }),
      },
      resolve: (_root, args, ctx) => resolveTasksConnection(ctx, args.kind, args),
    },
    {
      name: "ExportTaskConnection",
      fields: (c) => ({
        totalCount: c.int({
          description: "Tasks in the list (with a filter: the matching ones).",
          resolve: (connection) => (typeof connection.totalCount === "function" ? connection.totalCount() : connection.totalCount),
        }),
      }),
    },
    { name: "ExportTaskEdge" },
  ),
  task: t.field({
    type: ExportTask,
    nullable: true,
    description: "One task by kind and id; null when the upstream does not list it.",
    authScopes: { "export:read": true },
    args: {
      ...kindArg,
      taskId: t.arg.string({ required: true, validate: taskIdInput }),
    },
    resolve: (_root, args, ctx) => lookupTask(ctx, { kind: args.kind, taskId: args.taskId }),
  }),
}));
