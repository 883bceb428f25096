/**
 * zod schemas for the three answer shapes of the CDN export API (shared/docs/upstream-api.md),
 * and the parsers that turn a JSON body into the clean types of types.ts in one pass. A body
 * that breaks a schema becomes UpstreamMalformedError naming the action and the field path.
 */
import { z } from "zod";
import { UpstreamMalformedError } from "./errors.js";
import type { CreatedTask, ExportKind, TaskPage, UpstreamTask } from "./types.js";

/** A count sent as a string: digits only, short enough to stay an exact integer. */
const DIGITS = /^\d{1,15}$/;

/** PageNumber/PageSize/TotalCount: a JSON number, or a string of digits; nothing else. */
const count = z.union(
  [
    z.number().int().nonnegative(),
    z
      .string()
      .regex(DIGITS)
      .transform(Number),
  ],
  { error: "expected a non-negative integer or a numeric string" },
);

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

/**
 * A page read is the gateway's hottest path, and a schema pass copies every item before it is
 * mapped again: the hand-written reader below checks the usual, well-formed page in place and
 * maps it in one go. It accepts only a subset of what `taskPageSchema` accepts and yields the
 * same page for it; anything else goes to the schema, which decides and names the field.
 */
export function parseTaskPage(action: string, kind: ExportKind, body: unknown): TaskPage {
  return readTaskPage(kind, body) ?? parseTaskPageWithSchema(action, kind, body);
}

/** The schema's verdict alone (the reference the fast reader is tested against). */
export function parseTaskPageWithSchema(action: string, kind: ExportKind, body: unknown): TaskPage {
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

/** The fast reader: the page, or undefined whenever anything is not plainly valid. */
export function readTaskPage(kind: ExportKind, body: unknown): TaskPage | undefined {
  if (!isRecord(body) || typeof body.RequestId !== "string") return undefined;
  const perPage = body.UsageDataPerPage;
  if (!isRecord(perPage)) return undefined;
  const pageNumber = readCount(perPage.PageNumber);
  const pageSize = readCount(perPage.PageSize);
  const totalCount = readCount(perPage.TotalCount);
  if (pageNumber === undefined || pageSize === undefined || totalCount === undefined) return undefined;
  const data = perPage.Data;
  let items: unknown = undefined;
  if (data !== undefined && data !== null) {
    if (!isRecord(data)) return undefined;
    items = data.DataItem;
  }
  const tasks: UpstreamTask[] = [];
  if (items !== undefined && items !== null) {
    if (!Array.isArray(items)) return undefined;
    for (const item of items as unknown[]) {
      const task = readTask(kind, item);
      if (task === undefined) return undefined;
      tasks.push(task);
    }
  }
  return { kind, pageNumber, pageSize, totalCount, tasks, requestId: body.RequestId };
}

function readTask(kind: ExportKind, item: unknown): UpstreamTask | undefined {
  if (!isRecord(item)) return undefined;
  const { TaskId, TaskName, Status, CreateTime, UpdateTime, DownloadUrl, TaskConfig } = item;
  if (typeof TaskId !== "string" || TaskId === "" || typeof Status !== "string" || typeof CreateTime !== "string") {
    return undefined;
  }
  if (!isOptionalText(TaskName) || !isOptionalText(UpdateTime) || !isOptionalText(DownloadUrl)) return undefined;
  let startTime: string | null | undefined;
  let endTime: string | null | undefined;
  if (TaskConfig !== undefined && TaskConfig !== null) {
    if (!isRecord(TaskConfig)) return undefined;
    const { StartTime, EndTime } = TaskConfig;
    if (!isOptionalText(StartTime) || !isOptionalText(EndTime)) return undefined;
    startTime = StartTime;
    endTime = EndTime;
  }
  return {
    kind,
    taskId: TaskId,
    name: TaskName || null,
    rawStatus: Status,
    createTime: CreateTime,
    updateTime: UpdateTime || null,
    downloadUrl: DownloadUrl || null,
    startTime: startTime || null,
    endTime: endTime || null,
  };
}

/** What `z.object` takes: any non-null object that is not an array. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isOptionalText(value: unknown): value is string | null | undefined {
  return value === undefined || value === null || typeof value === "string";
}

/** The `count` schema's two forms; undefined for anything the schema should judge. */
function readCount(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  return typeof value === "string" && DIGITS.test(value) ? Number(value) : undefined;
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
