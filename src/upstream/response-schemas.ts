/**
 * zod schemas for the three answer shapes of the CDN export API (shared/docs/upstream-api.md),
 * and the parsers that turn a JSON body into the clean types of types.ts. A body that breaks a
 * schema becomes UpstreamMalformedError naming the action and the field path.
 */
import { z } from "zod";
import { UpstreamMalformedError } from "./errors.js";
import type { CreatedTask, ExportKind, TaskPage, UpstreamTask } from "./types.js";

/** A count sent as a string: digits only, short enough to stay an exact integer. */
const DIGITS = /^\d{1,15}$/;

/** PageNumber/PageSize/TotalCount: a JSON number, or a string of digits; nothing else. */
const count = z.union([z.number().int().nonnegative(), z.string().regex(DIGITS).transform(Number)], {
  error: "expected a non-negative integer or a numeric string",
});

const optionalText = z.string().nullish();

export const taskItemSchema = z.object({
  TaskId: z.string().min(1),
  TaskName: optionalText,
  Status: z.string(),
  CreateTime: z.string(),
  UpdateTime: optionalText,
  DownloadUrl: optionalText,
  TaskConfig: z.object({ StartTime: optionalText, EndTime: optionalText }).nullish(),
});

export const taskPageSchema = z.object({
  RequestId: z.string(),
  UsageDataPerPage: z.object({
    PageNumber: count,
    PageSize: count,
    TotalCount: count,
    // Missing or empty when the account has no tasks.
    Data: z.object({ DataItem: z.array(taskItemSchema).nullish() }).nullish(),
  }),
});

export const createdTaskSchema = z.object({
  RequestId: z.string(),
  TaskId: z.string().min(1),
  StartTime: z.string(),
  EndTime: z.string(),
});

export const deletedTaskSchema = z.object({ RequestId: z.string() });

type TaskItem = z.output<typeof taskItemSchema>;

export function parseTaskPage(action: string, kind: ExportKind, body: unknown): TaskPage {
  const page = parseWith(taskPageSchema, action, body);
  const perPage = page.UsageDataPerPage;
  const items = perPage.Data?.DataItem ?? [];
  return {
    kind,
    pageNumber: perPage.PageNumber,
    pageSize: perPage.PageSize,
    totalCount: perPage.TotalCount,
    tasks: items.map((item) => toTask(kind, item)),
    requestId: page.RequestId,
  };
}

export function parseCreatedTask(action: string, body: unknown): CreatedTask {
  const created = parseWith(createdTaskSchema, action, body);
  return {
    requestId: created.RequestId,
    taskId: created.TaskId,
    startTime: created.StartTime,
    endTime: created.EndTime,
  };
}

export function parseDeletedTask(action: string, body: unknown): { requestId: string } {
  return { requestId: parseWith(deletedTaskSchema, action, body).RequestId };
}

/** Empty strings mean "not set" in the upstream's answers, as missing fields and nulls do. */
function toTask(kind: ExportKind, item: TaskItem): UpstreamTask {
  return {
    kind,
    taskId: item.TaskId,
    name: item.TaskName || null,
    rawStatus: item.Status,
    createTime: item.CreateTime,
    updateTime: item.UpdateTime || null,
    downloadUrl: item.DownloadUrl || null,
    startTime: item.TaskConfig?.StartTime || null,
    endTime: item.TaskConfig?.EndTime || null,
  };
}

function parseWith<S extends z.ZodType>(schema: S, action: string, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new UpstreamMalformedError(action, formatPath(issue?.path ?? []), issue?.message ?? "invalid");
}

/** `UsageDataPerPage.Data.DataItem[0].TaskId`; `(body)` for the root. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(body)" : out;
}
