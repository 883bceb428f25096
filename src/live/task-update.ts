/**
 * What a task watch delivers: the task as last read, or an error that ends the watch. Updates
 * cross replicas as JSON (Redis pub/sub), so errors travel as catalogue data (code, message,
 * extensions); the subscription resolver raises them as GraphQL errors.
 */
import { z } from "zod";
import { ERROR_CODES, ErrorCode, errorData, unexpectedErrorData, type GatewayErrorData } from "../errors.js";
import { upstreamFailureData } from "../reading/upstream-failures.js";
import { taskStatus } from "../reading/task-status.js";
import type { TaskKey } from "../reading/entity-scan.js";
import type { ExportKind, UpstreamTask } from "../upstream/types.js";

export type TaskUpdate = { type: "task"; task: UpstreamTask } | { type: "error"; error: GatewayErrorData };

/** SUCCESS and FAILED never change again: the watch completes after delivering them. */
export function isFinal(task: UpstreamTask): boolean {
  const status = taskStatus(task.rawStatus);
  return status === "SUCCESS" || status === "FAILED";
}

/** Equal fingerprints = nothing a subscriber could see has changed. */
export function fingerprint(task: UpstreamTask): string {
  return JSON.stringify([task.rawStatus, task.updateTime, task.downloadUrl, task.name, task.startTime, task.endTime, task.createTime]);
}

export function notFoundUpdate(key: TaskKey): TaskUpdate {
  const message = `No ${key.kind} export task ${key.taskId} in the upstream's list (last three months)`;
  return { type: "error", error: errorData(ErrorCode.NOT_FOUND, message, { kind: key.kind, taskId: key.taskId }) };
}

/** A failed read as the subscriber should see it: upstream failures coded like any resolver's. */
export function errorUpdate(error: unknown): TaskUpdate {
  // Anything else is a bug: say nothing about it (the server masks unexpected errors the same way).
  return { type: "error", error: upstreamFailureData(error) ?? unexpectedErrorData() };
}

const taskSchema = z.object({
  kind: z.enum(["USAGE_DETAIL", "USER_USAGE"]) satisfies z.ZodType<ExportKind>,
  taskId: z.string(),
  name: z.string().nullable(),
  rawStatus: z.string(),
  createTime: z.string(),
  updateTime: z.string().nullable(),
  downloadUrl: z.string().nullable(),
  startTime: z.string().nullable(),
  endTime: z.string().nullable(),
});

const updateSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("task"), task: taskSchema }),
  z.object({
    type: z.literal("error"),
    error: z.object({ code: z.enum(ERROR_CODES), message: z.string(), extensions: z.record(z.string(), z.unknown()) }),
  }),
]);

/** Parses an update another replica published; null for anything malformed. */
export function parseUpdate(json: string): TaskUpdate | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = updateSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
