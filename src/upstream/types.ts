/**
 * The upstream's vocabulary as the rest of the gateway sees it: clean, typed values parsed
 * from the CDN export API (shared/docs/upstream-api.md). Times stay ISO 8601 UTC strings
 * (`yyyy-MM-ddTHH:mm:ssZ`) exactly as the upstream sends them.
 */

/** Which family of export task: `*UsageDetailDataExportTask` or `*UserUsageDataExportTask`. */
export type ExportKind = "USAGE_DETAIL" | "USER_USAGE";
export const EXPORT_KINDS: readonly ExportKind[] = ["USAGE_DETAIL", "USER_USAGE"];

export type UsageType = "flow" | "vas";
export type ExportLanguage = "zh-cn" | "en-us";

export interface UpstreamTask {
  kind: ExportKind;
  taskId: string;
  name: string | null;
  /** The upstream's own status word (`created`, `success`, `failed`, or anything new). */
  rawStatus: string;
  createTime: string;
  updateTime: string | null;
  downloadUrl: string | null;
  /** TaskConfig.StartTime / EndTime. */
  startTime: string | null;
  endTime: string | null;
}

export interface TaskPage {
  kind: ExportKind;
  pageNumber: number;
  pageSize: number;
  totalCount: number;
  tasks: UpstreamTask[];
  requestId: string;
}

export interface PageRequest {
  pageNumber: number;
  pageSize: number;
}

export interface CreateUsageDetailParams {
  type: UsageType;
  startTime: string;
  endTime: string;
  domainNames?: readonly string[];
  group?: string;
  language?: ExportLanguage;
  taskName?: string;
}

export interface CreateUserUsageParams {
  startTime: string;
  endTime: string;
  language?: ExportLanguage;
  taskName?: string;
}

export interface CreatedTask {
  requestId: string;
  taskId: string;
  startTime: string;
  endTime: string;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * The six operations of the CDN export API. The signed client implements it; anything that
 * wraps it (call counting, caching) implements it too, so resolvers never know which they hold.
 */
export interface CdnExportApi {
  createUsageDetailTask(params: CreateUsageDetailParams, options?: CallOptions): Promise<CreatedTask>;
  createUserUsageTask(params: CreateUserUsageParams, options?: CallOptions): Promise<CreatedTask>;
  describeTasks(kind: ExportKind, page: PageRequest, options?: CallOptions): Promise<TaskPage>;
  deleteTask(kind: ExportKind, taskId: string, options?: CallOptions): Promise<{ requestId: string }>;
}

/** Upstream action names per kind. */
export const ACTIONS = {
  USAGE_DETAIL: {
    create: "CreateUsageDetailDataExportTask",
    describe: "DescribeUserUsageDetailDataExportTask",
    delete: "DeleteUsageDetailDataExportTask",
  },
  USER_USAGE: {
    create: "CreateUserUsageDataExportTask",
    describe: "DescribeUserUsageDataExportTask",
    delete: "DeleteUserUsageDataExportTask",
  },
} as const satisfies Record<ExportKind, { create: string; describe: string; delete: string }>;

export const API_VERSION = "2018-05-10";

/** What the client reports as it works; metrics and logs subscribe, the client knows neither. */
export type CallOutcome = "ok" | "throttled" | "timeout" | "unavailable" | "rejected" | "malformed" | "quota";

export interface UpstreamObserver {
  onCall?(event: { action: string; attempt: number; durationMs: number; outcome: CallOutcome; httpStatus?: number }): void;
  onRetry?(event: { action: string; attempt: number; delayMs: number; reason: CallOutcome }): void;
  onQuotaWait?(event: { action: string; waitedMs: number }): void;
}
