/**
 * A task page as it travels through Redis between replicas (the page cache's second tier):
 * JSON, checked on the way back so that a value written by another version of the gateway, or
 * anything else under the key, is read as a miss instead of served.
 */
import type { SharedReadCodec } from "../state/shared-reads.js";
import { EXPORT_KINDS, type TaskPage, type UpstreamTask } from "../upstream/types.js";

export const TASK_PAGE_CODEC: SharedReadCodec<TaskPage> = {
  encode: (page) => JSON.stringify(page),
  decode(text) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return null;
    }
    return isTaskPage(parsed) ? parsed : null;
  },
};

const nullableString = (value: unknown): boolean => value === null || typeof value === "string";

function isTask(value: unknown): value is UpstreamTask {
  if (typeof value !== "object" || value === null) return false;
  const task = value as Record<string, unknown>;
  return (
    (EXPORT_KINDS as readonly unknown[]).includes(task["kind"]) &&
    typeof task["taskId"] === "string" &&
    typeof task["rawStatus"] === "string" &&
    typeof task["createTime"] === "string" &&
    ["name", "updateTime", "downloadUrl", "startTime", "endTime"].every((field) => nullableString(task[field]))
  );
}

function isTaskPage(value: unknown): value is TaskPage {
  if (typeof value !== "object" || value === null) return false;
  const page = value as Record<string, unknown>;
  return (
    (EXPORT_KINDS as readonly unknown[]).includes(page["kind"]) &&
    Number.isInteger(page["pageNumber"]) &&
    Number.isInteger(page["pageSize"]) &&
    Number.isInteger(page["totalCount"]) &&
    typeof page["requestId"] === "string" &&
    Array.isArray(page["tasks"]) &&
    page["tasks"].every(isTask)
  );
}
