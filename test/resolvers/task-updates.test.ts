/** `exportTaskUpdated` events: a task passes through; an error event is raised through the catalogue. */
import { describe, expect, test } from "vitest";
import { GraphQLError } from "graphql";
import { errorData, ErrorCode } from "../../src/errors.js";
import { taskOfUpdate } from "../../src/resolvers/task-updates.js";

describe("taskOfUpdate", () => {
  test("an error event becomes the catalogue's GraphQL error (code and extensions as published)", () => {
    const error = errorData(ErrorCode.UPSTREAM_TIMEOUT, "no answer within 300 ms", { timeoutMs: 300 });
    let thrown: unknown;
    try {
      taskOfUpdate({ type: "error", error });
    } catch (raised) {
      thrown = raised;
    }
    expect(thrown).toBeInstanceOf(GraphQLError);
    expect((thrown as GraphQLError).message).toBe("no answer within 300 ms");
    expect((thrown as GraphQLError).extensions).toEqual({ code: "UPSTREAM_TIMEOUT", timeoutMs: 300 });
  });

  test("a task event is the task", () => {
    const task = { kind: "USAGE_DETAIL" as const, taskId: "7", name: null, rawStatus: "success", createTime: "2024-01-01T00:00:00Z", updateTime: null, downloadUrl: null, startTime: null, endTime: null };
    expect(taskOfUpdate({ type: "task", task })).toBe(task);
  });
});
