/**
 * What a task watch delivers: the task as last read, or an error that ends the watch. Updates
 * cross replicas as JSON (Redis pub/sub), so errors travel as message + extensions and are
 * revived as GraphQL errors only where a subscriber receives them.
 */
import { GraphQLError } from "graphql";
import { z } from "zod";
import { ErrorCode, gatewayError } from "../errors.js";
import { toGatewayError } from "../resolvers/upstream-errors.js";
import { taskStatus } from "../reading/task-status.js";
import type { TaskKey } from "../reading/entity-scan.js";
import type { ExportKind, UpstreamTask } from "../upstream/types.js";

export interface WatchError {
  message: string;
  /** Always carries `code` (errors.ts catalogue). */
  extensions: Record<string, unknown>;
}

export type TaskUpdate = { type: "task"; task: UpstreamTask } | { type: "error"; error: WatchError };

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
  const error = gatewayError(ErrorCode.NOT_FOUND, `No ${key.kind} export task ${key.taskId} in the upstream's list (last three months)`, {
    kind: key.kind,
    taskId: key.taskId,
  });
  return { type: "error", error: { message: error.message, extensions: { ...error.extensions } } };
}

/** A failed read as the subscriber should see it (upstream errors mapped like any resolver's). */
export function errorUpdate(error: unknown): TaskUpdate {
  const mapped = toGatewayError(error);
  if (mapped instanceof GraphQLError && typeof mapped.extensions["code"] === "string") {
    return { type: "error", error: { message: mapped.message, extensions: { ...mapped.extensions } } };
  }
  // A bug: say nothing about it (the server masks unexpected errors the same way).
  return { type: "error", error: { message: "Unexpected error.", extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } } };
}

/** The GraphQL error a subscriber receives; the code and extensions were built by errors.ts. */
export function reviveError(error: WatchError): GraphQLError {
  return new GraphQLError(error.message, { extensions: error.extensions });
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
    error: z.object({ message: z.string(), extensions: z.record(z.string(), z.unknown()).refine((e) => typeof e["code"] === "string") }),
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
