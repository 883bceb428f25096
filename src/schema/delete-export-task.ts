/** `deleteExportTask` with its input and payload. */
import { deleteExportTask } from "../resolvers/export-tasks.js";
import { taskIdInput } from "../resolvers/input-rules.js";
import { builder } from "./builder.js";
import { ExportKind } from "./enums.js";

export const DeleteExportTaskInput = builder.inputType("DeleteExportTaskInput", {
  fields: (t) => ({
    kind: t.field({ type: ExportKind, required: true }),
    taskId: t.string({ required: true, validate: taskIdInput }),
  }),
});

export const DeleteExportTaskPayload = builder.objectRef<{ deletedTaskId: string }>("DeleteExportTaskPayload").implement({
  fields: (t) => ({ deletedTaskId: t.exposeString("deletedTaskId") }),
});

builder.mutationFields((t) => ({
  deleteExportTask: t.field({
    type: DeleteExportTaskPayload,
    description: "Delete*DataExportTask for the task's kind.",
    authScopes: { "export:delete": true },
    args: { input: t.arg({ type: DeleteExportTaskInput, required: true }) },
    resolve: (_root, { input }, ctx) => deleteExportTask(ctx, input),
  }),
}));
