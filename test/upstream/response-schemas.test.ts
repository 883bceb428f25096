import { describe, expect, it } from "vitest";
import { UpstreamMalformedError } from "../../src/upstream/errors.js";
import { formatPath, parseCreatedTask, parseDeletedTask, parseTaskPage } from "../../src/upstream/response-schemas.js";
import { pageBody, taskItem } from "./fixtures.js";

const ACTION = "DescribeUserUsageDetailDataExportTask";

function malformed(run: () => unknown): UpstreamMalformedError {
  try {
    run();
  } catch (error) {
    if (error instanceof UpstreamMalformedError) return error;
    throw error;
  }
  throw new Error("expected UpstreamMalformedError");
}

describe("parseTaskPage", () => {
  it.each([
    ["numbers", { PageNumber: 3, PageSize: 10, TotalCount: 25 }],
    ["numeric strings", { PageNumber: "3", PageSize: "10", TotalCount: "25" }],
    ["a mix", { PageNumber: "3", PageSize: 10, TotalCount: "25" }],
  ])("accepts page counts as %s", (_label, counts) => {
    const page = parseTaskPage(ACTION, "USAGE_DETAIL", pageBody([taskItem({ TaskId: "1" })], counts));
    expect(page).toMatchObject({ pageNumber: 3, pageSize: 10, totalCount: 25 });
  });

  it.each([
    ["PageNumber", "3a"],
    ["PageNumber", " 3"],
    ["PageSize", "1e2"],
    ["PageSize", ""],
    ["TotalCount", "-1"],
    ["TotalCount", 2.5],
    ["TotalCount", null],
    ["PageNumber", true],
  ])("rejects %s = %j, naming the field", (field, value) => {
    const error = malformed(() => parseTaskPage(ACTION, "USAGE_DETAIL", pageBody([], { [field]: value })));
    expect(error.field).toBe(`UsageDataPerPage.${field}`);
    expect(error.action).toBe(ACTION);
    expect(error.message).toContain(`${ACTION}: malformed response at UsageDataPerPage.${field}`);
  });

  it("keeps an undocumented status as the raw word", () => {
    const page = parseTaskPage(ACTION, "USER_USAGE", pageBody([taskItem({ TaskId: "9", Status: "queued-for-review" })]));
    expect(page.tasks[0]).toMatchObject({ kind: "USER_USAGE", taskId: "9", rawStatus: "queued-for-review" });
  });

  it("accepts a page with no tasks: DataItem empty, missing, or Data missing", () => {
    const counts = { RequestId: "r", UsageDataPerPage: { PageNumber: 1, PageSize: 20, TotalCount: 0 } };
    for (const body of [
      pageBody([]),
      { ...counts, UsageDataPerPage: { ...counts.UsageDataPerPage, Data: {} } },
      { ...counts, UsageDataPerPage: { ...counts.UsageDataPerPage, Data: null } },
      counts,
    ]) {
      expect(parseTaskPage(ACTION, "USAGE_DETAIL", body)).toMatchObject({ totalCount: 0, tasks: [] });
    }
  });

  it("maps optional task fields to null when absent or empty", () => {
    const item = { TaskId: "5", Status: "created", CreateTime: "2024-01-01T00:00:00Z", DownloadUrl: "" };
    const page = parseTaskPage(ACTION, "USAGE_DETAIL", pageBody([item]));
    expect(page.tasks[0]).toEqual({
      kind: "USAGE_DETAIL",
      taskId: "5",
      name: null,
      rawStatus: "created",
      createTime: "2024-01-01T00:00:00Z",
      updateTime: null,
      downloadUrl: null,
      startTime: null,
      endTime: null,
    });
  });

  it("names the path inside the task list", () => {
    const broken = { ...taskItem({ TaskId: "2" }), TaskConfig: { StartTime: 5 } };
    const error = malformed(() => parseTaskPage(ACTION, "USAGE_DETAIL", pageBody([taskItem({ TaskId: "1" }), broken])));
    expect(error.field).toBe("UsageDataPerPage.Data.DataItem[1].TaskConfig.StartTime");
  });

  it("rejects bodies that are not the page shape", () => {
    expect(malformed(() => parseTaskPage(ACTION, "USAGE_DETAIL", null)).field).toBe("(body)");
    expect(malformed(() => parseTaskPage(ACTION, "USAGE_DETAIL", { RequestId: "r" })).field).toBe("UsageDataPerPage");
    expect(malformed(() => parseTaskPage(ACTION, "USAGE_DETAIL", { UsageDataPerPage: {} })).field).toBe("RequestId");
  });
});

describe("create and delete answers", () => {
  it("parses the four strings of a create answer", () => {
    expect(
      parseCreatedTask("CreateUserUsageDataExportTask", { RequestId: "r", TaskId: "t", StartTime: "s", EndTime: "e", Extra: 1 }),
    ).toEqual({ requestId: "r", taskId: "t", startTime: "s", endTime: "e" });
    const error = malformed(() => parseCreatedTask("CreateUserUsageDataExportTask", { RequestId: "r", TaskId: 12 }));
    expect(error).toMatchObject({ action: "CreateUserUsageDataExportTask", field: "TaskId" });
  });

  it("parses a delete answer", () => {
    expect(parseDeletedTask("DeleteUserUsageDataExportTask", { RequestId: "r" })).toEqual({ requestId: "r" });
    expect(malformed(() => parseDeletedTask("DeleteUserUsageDataExportTask", {})).field).toBe("RequestId");
  });
});

describe("formatPath", () => {
  it("joins keys with dots and indexes with brackets", () => {
    expect(formatPath(["a", 0, "b", 12])).toBe("a[0].b[12]");
    expect(formatPath([])).toBe("(body)");
  });
});
