/**
 * `ExportTask.download` (always present; `ready` says whether the file can be fetched now) and
 * its type. The URL shown here and in `downloadUrl` passes the same download policy.
 */
import { taskDownload, type TaskDownload } from "../resolvers/task-download.js";
import { builder } from "./builder.js";
import { ExportTask } from "./export-task.js";

export const ExportTaskDownload = builder.objectRef<TaskDownload>("ExportTaskDownload").implement({
  description: "How to fetch a task's Excel file. The gateway does not proxy the file: the client fetches `url` itself.",
  fields: (t) => ({
    url: t.exposeString("url", {
      nullable: true,
      description:
        "The upstream's download URL; null until the task succeeded, and null when its host is not the upstream's own download host " +
        "(https to *.aliyuncs.com or *.alicdn.com; the embedded emulator's own origin in emulator mode).",
    }),
    fileName: t.exposeString("fileName", {
      description: "Suggested file name: <kind>_<taskId>[_<name>][_<start>-<end>].xlsx, only A–Z a–z 0–9 . _ -",
    }),
    ready: t.exposeBoolean("ready", { description: "The task succeeded and url is set: the file can be fetched now." }),
  }),
});

builder.objectField(ExportTask, "download", (t) =>
  t.field({
    type: ExportTaskDownload,
    description: "What a frontend needs to fetch the export file; always present (ready = false until it can).",
    resolve: (task, _args, ctx) => taskDownload(ctx, task),
  }),
);
