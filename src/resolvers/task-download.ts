/**
 * `ExportTask.download`: what a frontend needs to fetch a task's file (Excel or PDF). The URL passes the
 * request's download policy (exports/download-policy.ts) or is null; the file name is built
 * from the task alone, in characters that are safe in any file system and in a
 * Content-Disposition header, so a frontend can use it as-is (`<a download=…>`).
 */
import type { RequestContext } from "../context.js";
import type { ExportKind, UpstreamTask } from "../upstream/types.js";
import { toUtcSeconds } from "./date-time.js";
import { taskStatus } from "../reading/task-status.js";

export interface TaskDownload {
  /** Null until the task succeeded, or when the policy refused the upstream's URL. */
  url: string | null;
  fileName: string;
  /** The file can be fetched now: the task succeeded and `url` is set. */
  ready: boolean;
}

const KIND_PREFIX: Readonly<Record<ExportKind, string>> = { USAGE_DETAIL: "usage-detail", USER_USAGE: "user-usage" };
const MAX_NAME_PART = 40;
const MAX_ID_PART = 64;

/** Letters and digits of `text` (accents stripped), other runs as one `-`, lower case. */
function slug(text: string, max: number): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .toLowerCase()
    .slice(0, max)
    .replace(/^-+|-+$/g, "");
}

/** `2024-01-01T00:00:00Z` → `20240101T000000Z`; null when not a time. */
function compactTime(value: string | null): string | null {
  const utc = value === null ? null : toUtcSeconds(value);
  return utc === null ? null : utc.replace(/[-:]/g, "");
}

/** Usage details are Excel workbooks; user usage is a PDF report (design.md, "Export contents"). */
const KIND_EXTENSION: Readonly<Record<ExportKind, string>> = { USAGE_DETAIL: "xlsx", USER_USAGE: "pdf" };

/**
 * `<kind>_<taskId>[_<name>][_<start>-<end>].<xlsx|pdf>`, e.g.
 * `usage-detail_10000123_monthly-bill-check_20240101T000000Z-20240201T000000Z.xlsx`.
 * Only `[A-Za-z0-9._-]`; a name with no Latin letters or digits (月度用量导出) is left out.
 */
export function downloadFileName(task: Pick<UpstreamTask, "kind" | "taskId" | "name" | "startTime" | "endTime">): string {
  const parts = [KIND_PREFIX[task.kind], slug(task.taskId, MAX_ID_PART) || "task"];
  const name = task.name === null ? "" : slug(task.name, MAX_NAME_PART);
  if (name !== "") parts.push(name);
  const start = compactTime(task.startTime);
  const end = compactTime(task.endTime);
  if (start !== null && end !== null) parts.push(`${start}-${end}`);
  return `${parts.join("_")}.${KIND_EXTENSION[task.kind]}`;
}

export function taskDownload(ctx: RequestContext, task: UpstreamTask): TaskDownload {
  const url = ctx.downloads.urlOf(task);
  return { url, fileName: downloadFileName(task), ready: url !== null && taskStatus(task.rawStatus) === "SUCCESS" };
}
