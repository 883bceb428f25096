/**
 * A task's export file, parsed (design.md "Export contents"): only a USAGE_DETAIL task in
 * SUCCESS has one to read. The file is read once per export and kept (exports/export-contents);
 * a DownloadUrl that has expired (403 from storage) is replaced once by the task's current one,
 * read from the upstream's task list past every cache.
 */
import type { RequestContext } from "../context.js";
import { ExportNotReadyError, ExportUnavailableError } from "../exports/errors.js";
import type { ParsedExport } from "../exports/parsed-export.js";
import { taskStatus } from "../reading/task-status.js";
import type { ExportKind, UpstreamTask } from "../upstream/types.js";
import { withUpstreamErrors } from "./upstream-errors.js";

export type ExportFileType = "XLSX" | "PDF";

/** Usage details are Excel workbooks; user usage is a PDF report. */
export const FILE_TYPES: Readonly<Record<ExportKind, ExportFileType>> = { USAGE_DETAIL: "XLSX", USER_USAGE: "PDF" };

/** Whether the task has a file the gateway reads: a usage-detail export that succeeded. */
export function hasReadableFile(task: UpstreamTask): boolean {
  return task.kind === "USAGE_DETAIL" && taskStatus(task.rawStatus) === "SUCCESS";
}

/** The cache key of a task's parsed file: the export, never its (changing, secret) URL. */
export function exportKey(task: Pick<UpstreamTask, "kind" | "taskId">): string {
  return `${task.kind}:${task.taskId}`;
}

/**
 * The task's parsed file, or null when it has none to read (not USAGE_DETAIL, or not SUCCESS).
 * Failures are catalogue errors (EXPORT_*, UPSTREAM_* for the refresh's task list read).
 */
export function parsedExportOf(ctx: RequestContext, task: UpstreamTask): Promise<ParsedExport | null> {
  if (!hasReadableFile(task)) return Promise.resolve(null);
  return readParsedExport(ctx, task);
}

/** The task's parsed file; a task without one is EXPORT_NOT_READY (the CSV route's 409). */
export function requireParsedExport(ctx: RequestContext, task: UpstreamTask): Promise<ParsedExport> {
  if (!hasReadableFile(task)) {
    return Promise.reject(new ExportNotReadyError(taskStatus(task.rawStatus), { kind: task.kind, taskId: task.taskId }));
  }
  return readParsedExport(ctx, task);
}

function readParsedExport(ctx: RequestContext, task: UpstreamTask): Promise<ParsedExport> {
  return withUpstreamErrors(async () => {
    const files = ctx.exportFiles;
    if (files === null) throw new ExportUnavailableError("fetch-failed", null, "export files are not read by this gateway");
    if (task.downloadUrl === null) throw new ExportUnavailableError("fetch-failed", null, "the task lists no download URL");
    const source = {
      url: task.downloadUrl,
      refreshUrl: async () => (await files.freshTask({ kind: task.kind, taskId: task.taskId }))?.downloadUrl ?? null,
    };
    return files.contents.parsed(exportKey(task), source, ctx.signal ?? undefined);
  });
}
