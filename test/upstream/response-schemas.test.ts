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

/** A page as the upstream sends it: counts as numbers and strings, optional fields set, null, empty or missing. */
function documentedPage(): Record<string, unknown> {
  return {
    RequestId: "E1072085-E4E8-4D29",
    UsageDataPerPage: {
      PageNumber: 3,
      PageSize: "50",
      TotalCount: 10000,
      Data: {
        DataItem: [
          {
            TaskId: "10010017",
            TaskName: "Traffic audit",
            Status: "success",
            CreateTime: "2026-11-22T01:44:55Z",
            UpdateTime: "2026-11-22T01:45:58Z",
            DownloadUrl: "http://127.0.0.1/downloads/a.xlsx",
            TaskConfig: { StartTime: "2026-11-16T01:00:00Z", EndTime: "2026-11-17T01:00:00Z" },
          },
          { TaskId: "10010016", Status: "created", CreateTime: "2026-11-22T01:33:55Z", TaskName: null, TaskConfig: null },
          { TaskId: "1", Status: "", CreateTime: "", DownloadUrl: "", TaskConfig: {} },
        ],
      },
    },
  };
}

/** The documented page with `value` at `field` of its first task (undefined removes the field). */
function withTaskField(field: string, value: unknown): Record<string, unknown> {
  const body = documentedPage();
  const items = ((body.UsageDataPerPage as Record<string, unknown>).Data as { DataItem: Record<string, unknown>[] }).DataItem;
  const [name, inner] = field.split(".") as [string, string | undefined];
  const target = inner === undefined ? (items[0] as Record<string, unknown>) : ((items[0] as Record<string, Record<string, unknown>>)[name] as Record<string, unknown>);
  const key = inner ?? name;
  if (value === undefined) Reflect.deleteProperty(target, key);
  else target[key] = value;
  return body;
}

describe("parseTaskPage on the documented page and its variations", () => {
  it("maps every task, with unset, null and empty optional fields as null", () => {
    expect(parseTaskPage(ACTION, "USAGE_DETAIL", documentedPage())).toStrictEqual({
      kind: "USAGE_DETAIL",
      pageNumber: 3,
      pageSize: 50,
      totalCount: 10000,
      requestId: "E1072085-E4E8-4D29",
      tasks: [
        {
          kind: "USAGE_DETAIL",
          taskId: "10010017",
          name: "Traffic audit",
          rawStatus: "success",
          createTime: "2026-11-22T01:44:55Z",
          updateTime: "2026-11-22T01:45:58Z",
          downloadUrl: "http://127.0.0.1/downloads/a.xlsx",
          startTime: "2026-11-16T01:00:00Z",
          endTime: "2026-11-17T01:00:00Z",
        },
        {
          kind: "USAGE_DETAIL",
          taskId: "10010016",
          name: null,
          rawStatus: "created",
          createTime: "2026-11-22T01:33:55Z",
          updateTime: null,
          downloadUrl: null,
          startTime: null,
          endTime: null,
        },
        {
          kind: "USAGE_DETAIL",
          taskId: "1",
          name: null,
          rawStatus: "",
          createTime: "",
          updateTime: null,
          downloadUrl: null,
          startTime: null,
          endTime: null,
        },
      ],
    });
  });

  it("ignores fields it does not know, at every level", () => {
    const body = documentedPage();
    const perPage = body.UsageDataPerPage as Record<string, unknown>;
    const items = (perPage.Data as { DataItem: Record<string, unknown>[] }).DataItem;
    Object.assign(body, { Extra: [1, null] });
    Object.assign(perPage, { Extra: "unexpected" });
    Object.assign(items[0] as object, { Extra: "unexpected", TaskIdx: 1 });
    Object.assign((items[0] as { TaskConfig: object }).TaskConfig, { Region: "cn" });
    expect(parseTaskPage(ACTION, "USAGE_DETAIL", body)).toStrictEqual(parseTaskPage(ACTION, "USAGE_DETAIL", documentedPage()));
  });

  it.each([
    [0, 0],
    [1, 1],
    ["0", 0],
    ["12", 12],
    ["007", 7],
    ["9".repeat(15), 999_999_999_999_999],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ])("reads the count %j as %d", (value, expected) => {
    const body = pageBody([], { TotalCount: value });
    expect(parseTaskPage(ACTION, "USAGE_DETAIL", body).totalCount).toBe(expected);
  });

  it.each([
    "",
    "x",
    "1e2",
    " 3",
    "-1",
    "1.5",
    "9".repeat(16),
    "数",
    -1,
    2.5,
    1e21,
    Number.MAX_SAFE_INTEGER + 1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    null,
    false,
    {},
    [],
    undefined,
  ])("refuses the count %j (neither a safe non-negative integer nor its digits)", (value) => {
    const error = malformed(() => parseTaskPage(ACTION, "USAGE_DETAIL", pageBody([], { TotalCount: value })));
    expect(error.field).toBe("UsageDataPerPage.TotalCount");
  });

  it.each(["TaskName", "UpdateTime", "DownloadUrl", "TaskConfig.StartTime", "TaskConfig.EndTime"])(
    "takes %s as a string, null or nothing, and refuses any other type",
    (field) => {
      for (const value of ["x", "", null, undefined]) {
        expect(() => parseTaskPage(ACTION, "USAGE_DETAIL", withTaskField(field, value))).not.toThrow();
      }
      for (const value of [0, true, {}, ["x"]]) {
        const error = malformed(() => parseTaskPage(ACTION, "USAGE_DETAIL", withTaskField(field, value)));
        expect(error.field).toBe(`UsageDataPerPage.Data.DataItem[0].${field}`);
      }
    },
  );

  it.each([
    ["TaskId", ""],
    ["TaskId", undefined],
    ["TaskId", 10010017],
    ["Status", undefined],
    ["Status", null],
    ["CreateTime", undefined],
    ["CreateTime", 0],
  ])("refuses a task whose %s is %j", (field, value) => {
    const error = malformed(() => parseTaskPage(ACTION, "USAGE_DETAIL", withTaskField(field, value)));
    expect(error.field).toBe(`UsageDataPerPage.Data.DataItem[0].${field}`);
  });

  it.each([
    ["a list instead of the body", [], "(body)"],
    ["text instead of the body", "x", "(body)"],
    ["a list instead of UsageDataPerPage", { RequestId: "r", UsageDataPerPage: [] }, "UsageDataPerPage"],
    ["a list instead of Data", pageBodyWith({ Data: [] }), "UsageDataPerPage.Data"],
    ["an object instead of DataItem", pageBodyWith({ Data: { DataItem: {} } }), "UsageDataPerPage.Data.DataItem"],
    ["null inside DataItem", pageBodyWith({ Data: { DataItem: [null] } }), "UsageDataPerPage.Data.DataItem[0]"],
    ["TaskConfig as text", withTaskField("TaskConfig", "2026-11-16"), "UsageDataPerPage.Data.DataItem[0].TaskConfig"],
    ["a number as RequestId", { ...documentedPage(), RequestId: 7 }, "RequestId"],
  ])("refuses %s, naming where", (_label, body, field) => {
    expect(malformed(() => parseTaskPage(ACTION, "USAGE_DETAIL", body)).field).toBe(field);
  });
});

/** A page of no tasks whose UsageDataPerPage also holds `fields`. */
function pageBodyWith(fields: Record<string, unknown>): Record<string, unknown> {
  return { RequestId: "r", UsageDataPerPage: { PageNumber: 1, PageSize: 1, TotalCount: 1, ...fields } };
}

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
