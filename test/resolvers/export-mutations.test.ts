/** Create and delete through the schema against the real emulator; every input rule refused up front. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { IdempotencyRunner } from "../../src/context.js";
import { idempotencyFingerprint } from "../../src/state/fingerprint.js";
import { errorCodes, startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";

const DAY = 24 * 60 * 60 * 1000;
/** The gateway's fixed clock: the start of this minute (the emulator runs on the real clock). */
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const START = iso(NOW - 10 * DAY);
const END = iso(NOW - 3 * DAY);

const CREATE = `mutation Create($input: CreateUsageExportInput!) {
  createUsageExport(input: $input) { taskId startTime endTime }
}`;
const CREATE_WITH_TASK = `mutation Create($input: CreateUsageExportInput!) {
  createUsageExport(input: $input) { taskId startTime endTime task { kind taskId name status rawStatus startTime endTime } }
}`;
const CREATE_USER = `mutation Create($input: CreateUserUsageExportInput!) {
  createUserUsageExport(input: $input) { taskId startTime endTime task { kind taskId name } }
}`;

const recorded: { key: string; fingerprint: string }[] = [];
const idempotency: IdempotencyRunner = {
  run: (key, request, create) => {
    recorded.push({ key, fingerprint: idempotencyFingerprint(request.operation, request.input) });
    return create();
  },
};

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ now: () => NOW, emulator: { historySize: 30 }, idempotency });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.resetCalls();
  recorded.length = 0;
});

describe("createUsageExport", () => {
  test("creates; `task` is read only when selected", async () => {
    const created = await h.execute<{ createUsageExport: { taskId: string; startTime: string; endTime: string } }>(CREATE, {
      variables: { input: { type: "FLOW", startTime: START, endTime: END, domainNames: ["cdn.example.com"], taskName: "lazy" } },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data!.createUsageExport).toMatchObject({ startTime: START, endTime: END });
    expect(h.calls()).toEqual({ CreateUsageDetailDataExportTask: 1 });

    h.resetCalls();
    const withTask = await h.execute<{ createUsageExport: { taskId: string; task: Record<string, unknown> } }>(CREATE_WITH_TASK, {
      variables: { input: { type: "VAS", startTime: START, endTime: END, group: "g1", language: "EN_US", taskName: "eager" } },
    });
    expect(withTask.errors).toBeUndefined();
    const payload = withTask.data!.createUsageExport;
    expect(payload.task).toEqual({
      kind: "USAGE_DETAIL",
      taskId: payload.taskId,
      name: "eager",
      status: "CREATED",
      rawStatus: "created",
      startTime: START,
      endTime: END,
    });
    // The new task is on page 1: one create, one read.
    expect(h.calls()).toEqual({ CreateUsageDetailDataExportTask: 1, DescribeUserUsageDetailDataExportTask: 1 });
  });

  test("the created task is visible to later queries and can be deleted", async () => {
    const created = await h.execute<{ createUserUsageExport: { taskId: string; task: { kind: string; name: string } } }>(CREATE_USER, {
      variables: { input: { startTime: START, endTime: END, taskName: "user usage" } },
    });
    expect(created.errors).toBeUndefined();
    const { taskId, task } = created.data!.createUserUsageExport;
    expect(task).toMatchObject({ kind: "USER_USAGE", name: "user usage" });

    const listed = await h.execute<{ tasks: { edges: { node: { taskId: string } }[] } }>(`{ tasks(kind: USER_USAGE, first: 5) { edges { node { taskId } } } }`);
    expect(listed.data!.tasks.edges.map((e) => e.node.taskId)).toContain(taskId);

    const deleted = await h.execute<{ deleteExportTask: { deletedTaskId: string } }>(
      `mutation($id: String!) { deleteExportTask(input: { kind: USER_USAGE, taskId: $id }) { deletedTaskId } }`,
      { variables: { id: taskId } },
    );
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data!.deleteExportTask).toEqual({ deletedTaskId: taskId });

    const gone = await h.execute(`query($id: String!) { task(kind: USER_USAGE, taskId: $id) { taskId } }`, { variables: { id: taskId } });
    expect(gone.data).toEqual({ task: null });
  });

  test("mutations in one request see each other's tasks (pages are dropped after a write)", async () => {
    const response = await h.execute<Record<string, { taskId: string; task: { taskId: string } | null }>>(
      `mutation($a: CreateUserUsageExportInput!, $b: CreateUserUsageExportInput!) {
        a: createUserUsageExport(input: $a) { taskId task { taskId } }
        b: createUserUsageExport(input: $b) { taskId task { taskId } }
      }`,
      { variables: { a: { startTime: START, endTime: END, taskName: "a" }, b: { startTime: START, endTime: END, taskName: "b" } } },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.a!.task?.taskId).toBe(response.data!.a!.taskId);
    expect(response.data!.b!.task?.taskId).toBe(response.data!.b!.taskId);
  });

  test("an idempotency key (input over header) goes to the idempotency runner with the request's fingerprint", async () => {
    const input = { type: "FLOW", startTime: START, endTime: END };
    await h.execute(CREATE, { variables: { input: { ...input, idempotencyKey: "from-input" } }, headers: { "idempotency-key": "from-header" } });
    await h.execute(CREATE, { variables: { input }, headers: { "idempotency-key": "from-header" } });
    await h.execute(CREATE, { variables: { input: { ...input, type: "VAS" } } });
    expect(recorded.map((r) => r.key)).toEqual(["from-input", "from-header"]);
    expect(recorded[0]!.fingerprint).toBe(recorded[1]!.fingerprint);
  });
});

describe("input rules refuse before any upstream call", () => {
  const longAgo = iso(NOW - 366 * DAY);
  const base = { type: "FLOW", startTime: START, endTime: END };
  const cases: [string, Record<string, unknown>, string, string][] = [
    ["date without time", { startTime: "2024-01-01" }, "input.startTime", "iso8601-utc-seconds"],
    ["milliseconds", { endTime: iso(NOW).replace("Z", ".000Z") }, "input.endTime", "iso8601-utc-seconds"],
    ["offset instead of Z", { startTime: START.replace("Z", "+08:00") }, "input.startTime", "iso8601-utc-seconds"],
    ["impossible date", { startTime: "2025-02-30T00:00:00Z" }, "input.startTime", "iso8601-utc-seconds"],
    ["end before start", { startTime: END, endTime: START }, "input.endTime", "end-after-start"],
    ["end equal to start", { endTime: START }, "input.endTime", "end-after-start"],
    ["longer than 31 days", { startTime: iso(NOW - 40 * DAY), endTime: iso(NOW - 8 * DAY) }, "input.endTime", "max-31-days"],
    ["more than a year back", { startTime: longAgo, endTime: iso(NOW - 360 * DAY) }, "input.startTime", "max-1-year-back"],
    ["domain with a comma", { domainNames: ["a.example.com,b.example.com"] }, "input.domainNames", "hostname"],
    ["domain with a space", { domainNames: ["ok.example.com", "bad name.example.com"] }, "input.domainNames", "hostname"],
    ["not a host name", { domainNames: ["-x-.example.com"] }, "input.domainNames", "hostname"],
    ["too many domains", { domainNames: Array.from({ length: 101 }, (_, i) => `d${i}.example.com`) }, "input.domainNames", "max-100-domains"],
    ["group and domains", { group: "g", domainNames: ["cdn.example.com"] }, "input.group", "group-or-domain-names"],
    ["empty group", { group: "" }, "input.group", "group-format"],
    ["task name too long", { taskName: "x".repeat(65) }, "input.taskName", "task-name-format"],
    ["empty task name", { taskName: "" }, "input.taskName", "task-name-format"],
    ["control character in task name", { taskName: "a\nb" }, "input.taskName", "task-name-format"],
    ["non-ASCII idempotency key", { idempotencyKey: "ключ" }, "input.idempotencyKey", "idempotency-key-format"],
    ["start in the future", { startTime: iso(NOW + 60_000), endTime: iso(NOW + DAY) }, "input.startTime", "not-in-future"],
    ["an empty domain list", { domainNames: [] }, "input.domainNames", "min-1-domain"],
    ["a domain twice", { domainNames: ["a.example.com", "b.example.com", "a.example.com"] }, "input.domainNames", "distinct-domain-names"],
    ["a domain twice in another case", { domainNames: ["a.example.com", "A.Example.COM"] }, "input.domainNames", "distinct-domain-names"],
  ];

  test.each(cases)("%s", async (_name, change, field, rule) => {
    const response = await h.execute(CREATE, { variables: { input: { ...base, ...change } } });
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field, rule });
    expect(h.totalCalls()).toBe(0);
  });

  test("every broken rule of an input is reported at once; field and rule name the first", async () => {
    const response = await h.execute(CREATE, {
      variables: {
        input: {
          ...base,
          startTime: iso(NOW + DAY),
          endTime: iso(NOW - DAY),
          domainNames: ["a.example.com", "A.example.com", "bad name"],
          taskName: "",
        },
      },
    });
    expect(response.errors).toHaveLength(1);
    const extensions = response.errors![0]!.extensions!;
    const violations = extensions["violations"] as { field: string; rule: string; message: string }[];
    expect(violations.map((v) => [v.field, v.rule]).sort()).toEqual(
      [
        ["input.domainNames", "hostname"],
        ["input.domainNames", "distinct-domain-names"],
        ["input.endTime", "end-after-start"],
        ["input.startTime", "not-in-future"],
        ["input.taskName", "task-name-format"],
      ].sort(),
    );
    expect(extensions).toMatchObject({ code: "BAD_USER_INPUT", field: violations[0]!.field, rule: violations[0]!.rule });
    for (const violation of violations) expect(violation.message.startsWith(violation.field)).toBe(true);
    expect(h.totalCalls()).toBe(0);
  });

  test("the span and the clock rules are reported with the field rules", async () => {
    const response = await h.execute(CREATE, {
      variables: { input: { ...base, startTime: iso(NOW - 400 * DAY), endTime: iso(NOW - 300 * DAY), group: "" } },
    });
    const violations = response.errors![0]!.extensions!["violations"] as { field: string; rule: string }[];
    expect(violations.map((v) => v.rule).sort()).toEqual(["group-format", "max-1-year-back", "max-31-days"]);
    expect(h.totalCalls()).toBe(0);
  });

  test("a single broken rule is a list of one", async () => {
    const response = await h.execute(CREATE, { variables: { input: { ...base, taskName: "" } } });
    expect(response.errors![0]!.extensions).toMatchObject({
      field: "input.taskName",
      rule: "task-name-format",
      violations: [{ field: "input.taskName", rule: "task-name-format", message: response.errors![0]!.message }],
    });
  });

  test("literal (non-variable) input is checked the same way", async () => {
    const response = await h.execute(`mutation { createUserUsageExport(input: { startTime: "${START}", endTime: "2020-01-01" }) { taskId } }`);
    expect(response.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.endTime", rule: "iso8601-utc-seconds" });
    expect(h.totalCalls()).toBe(0);
  });

  test("createUserUsageExport applies the time rules too", async () => {
    const response = await h.execute(CREATE_USER, { variables: { input: { startTime: END, endTime: START } } });
    expect(response.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.endTime", rule: "end-after-start" });
    expect(h.totalCalls()).toBe(0);
  });

  test("deleting a task the upstream does not list is NOT_FOUND, naming the task", async () => {
    const response = await h.execute(`mutation { deleteExportTask(input: { kind: USER_USAGE, taskId: "999999999" }) { deletedTaskId } }`);
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]!.extensions).toEqual({ code: "NOT_FOUND", kind: "USER_USAGE", taskId: "999999999" });
    expect(response.errors![0]!.message).toMatch(/999999999/);
    expect(response.data).toBeNull();
  });

  test("deleteExportTask refuses a malformed task id", async () => {
    const response = await h.execute(`mutation { deleteExportTask(input: { kind: USAGE_DETAIL, taskId: "1 OR 1" }) { deletedTaskId } }`);
    expect(response.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.taskId", rule: "task-id-format" });
    expect(h.totalCalls()).toBe(0);
  });

  test("exactly one year back, 31 days and 100 domains are accepted", async () => {
    const start = NOW - 365 * DAY + 60_000;
    const response = await h.execute(CREATE, {
      variables: {
        input: {
          ...base,
          startTime: iso(start),
          endTime: iso(start + 31 * DAY),
          domainNames: Array.from({ length: 100 }, (_, i) => `d${i}.example.com`),
          taskName: "y".repeat(64),
        },
      },
    });
    expect(errorCodes(response)).toEqual([]);
  });
});
