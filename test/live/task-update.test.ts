/**
 * What a task watch publishes to other replicas: errors as catalogue data (code, message,
 * extensions), parsed back only when the code is one the catalogue knows.
 */
import { describe, expect, test } from "vitest";
import { errorUpdate, notFoundUpdate, parseUpdate, type TaskUpdate } from "../../src/live/task-update.js";
import { UpstreamThrottledError } from "../../src/upstream/errors.js";

describe("task updates across replicas", () => {
  test("a failed read carries the upstream failure's code and extensions", () => {
    const update = errorUpdate(new UpstreamThrottledError("DescribeUserUsageDataExportTask", "Throttling.User", "req-9", 503, 800));
    expect(update).toEqual({
      type: "error",
      error: {
        code: "UPSTREAM_THROTTLED",
        message: "DescribeUserUsageDataExportTask throttled by the upstream; retry later",
        extensions: { retryAfterMs: 800, upstream: { code: "Throttling.User", requestId: "req-9", httpStatus: 503 } },
      },
    });
    expect(parseUpdate(JSON.stringify(update))).toEqual(update);
  });

  test("a bug says nothing about itself; a missing task is NOT_FOUND naming it", () => {
    expect(errorUpdate(new TypeError("secret detail"))).toEqual({
      type: "error",
      error: { code: "INTERNAL_SERVER_ERROR", message: "Unexpected error.", extensions: {} },
    });
    const missing = notFoundUpdate({ kind: "USER_USAGE", taskId: "42" });
    expect(missing.type === "error" && missing.error).toMatchObject({ code: "NOT_FOUND", extensions: { kind: "USER_USAGE", taskId: "42" } });
    expect(parseUpdate(JSON.stringify(missing))).toEqual(missing);
  });

  test("an error with a code outside the catalogue, or without one, is dropped as malformed", () => {
    const foreign = { type: "error", error: { code: "SOMETHING_ELSE", message: "x", extensions: {} } };
    expect(parseUpdate(JSON.stringify(foreign))).toBeNull();
    const older = { type: "error", error: { message: "x", extensions: { code: "NOT_FOUND" } } };
    expect(parseUpdate(JSON.stringify(older))).toBeNull();
    const task: TaskUpdate = {
      type: "task",
      task: { kind: "USAGE_DETAIL", taskId: "1", name: null, rawStatus: "created", createTime: "2024-01-01T00:00:00Z", updateTime: null, downloadUrl: null, startTime: null, endTime: null },
    };
    expect(parseUpdate(JSON.stringify(task))).toEqual(task);
  });
});
