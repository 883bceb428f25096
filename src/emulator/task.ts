/** One emulated export task, and how its status follows the clock. */
import type { ExportKind, ExportLanguage, UsageType } from "../upstream/types.js";

export type TaskOutcome = "success" | "failed";
export type TaskStatus = "created" | TaskOutcome;

export interface EmulatedTask {
  kind: ExportKind;
  taskId: string;
  /** Absent when the caller gave no TaskName. */
  name: string | undefined;
  /** Epoch ms; the store orders tasks by it. */
  createdAt: number;
  /** Epoch ms at which `created` turns into `outcome`. */
  readyAt: number;
  outcome: TaskOutcome;
  /** TaskConfig, exactly as requested (`yyyy-MM-ddTHH:mm:ssZ`). */
  startTime: string;
  endTime: string;
  /** `flow` or `vas` for usage-detail tasks; undefined for user-usage tasks. */
  usageType: UsageType | undefined;
  /** Domains the export covers (resolved from DomainNames, Group or the account's domains). */
  domains: readonly string[];
  language: ExportLanguage;
  /** Secret part of the download path, `/downloads/<token>.<xlsx|pdf>`. */
  downloadToken: string;
}

export type ExportFileType = "xlsx" | "pdf";

/**
 * Usage details are Excel workbooks; user usage is a PDF report (the upstream's reference:
 * "export your resource usage history to a PDF file").
 */
export function exportFileType(kind: ExportKind): ExportFileType {
  return kind === "USER_USAGE" ? "pdf" : "xlsx";
}

export function taskStatus(task: EmulatedTask, now: number): TaskStatus {
  return now < task.readyAt ? "created" : task.outcome;
}
