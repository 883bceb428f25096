/** `tasks`, `task`, `node` and `_entities` against the real emulator through the real client. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { cursorBinding, encodeCursor } from "../../src/reading/cursors.js";
import type { ExportKind } from "../../src/upstream/types.js";
import { startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";

interface Edge {
  cursor: string;
  node: { taskId: string };
}
interface Connection {
  totalCount: number;
  edges: Edge[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const HISTORY = { USAGE_DETAIL: 137, USER_USAGE: 60 } as const;
const CONNECTION = `totalCount edges { cursor node { taskId } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;
const TASKS = `query Tasks($kind: ExportKind!, $first: Int, $after: String, $last: Int, $before: String) {
  tasks(kind: $kind, first: $first, after: $after, last: $last, before: $before) { ${CONNECTION} }
}`;

let h: GatewayHarness;
/** The upstream order, read straight through the client. */
const truth: Record<ExportKind, string[]> = { USAGE_DETAIL: [], USER_USAGE: [] };

beforeAll(async () => {
  h = await startGatewayHarness({ emulator: { historySize: HISTORY } });
  for (const kind of ["USAGE_DETAIL", "USER_USAGE"] as const) {
    for (let page = 1; page <= Math.ceil(HISTORY[kind] / 50); page += 1) {
      const read = await h.client.describeTasks(kind, { pageNumber: page, pageSize: 50 });
      truth[kind].push(...read.tasks.map((t) => t.taskId));
    }
    expect(new Set(truth[kind]).size).toBe(HISTORY[kind]);
  }
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.resetCalls();
});

async function tasks(variables: Record<string, unknown>): Promise<Connection> {
  const response = await h.execute<{ tasks: Connection }>(TASKS, { variables: { kind: "USAGE_DETAIL", ...variables } });
  expect(response.errors).toBeUndefined();
  return response.data!.tasks;
}

describe("walking the connection", () => {
  test.each([
    ["USAGE_DETAIL", 7],
    ["USAGE_DETAIL", 50],
    ["USAGE_DETAIL", 100],
    ["USER_USAGE", 13],
  ] as const)("forward over %s with first=%i returns each task once, in upstream order", async (kind, size) => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await tasks({ kind, first: size, after });
      expect(page.totalCount).toBe(HISTORY[kind]);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...page.edges.map((e) => e.node.taskId));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(truth[kind]);
  });

  test.each([
    ["USAGE_DETAIL", 9],
    ["USAGE_DETAIL", 50],
    ["USAGE_DETAIL", 100],
    ["USER_USAGE", 25],
  ] as const)("backward over %s with last=%i returns each task once, in upstream order", async (kind, size) => {
    const chunks: string[][] = [];
    let before: string | null = null;
    for (;;) {
      const page = await tasks({ kind, last: size, before });
      expect(page.totalCount).toBe(HISTORY[kind]);
      expect(page.pageInfo.hasNextPage).toBe(before !== null);
      chunks.unshift(page.edges.map((e) => e.node.taskId));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(chunks.flat()).toEqual(truth[kind]);
  });

  test("cursors address edges: after/before of any edge continue exactly there", async () => {
    const all = await tasks({ first: 100 });
    const edge = all.edges[61]!;
    const after = await tasks({ first: 3, after: edge.cursor });
    expect(after.edges.map((e) => e.node.taskId)).toEqual(truth.USAGE_DETAIL.slice(62, 65));
    const before = await tasks({ last: 3, before: edge.cursor });
    expect(before.edges.map((e) => e.node.taskId)).toEqual(truth.USAGE_DETAIL.slice(58, 61));
  });

  test("without first or last a window has 20 edges", async () => {
    const page = await tasks({});
    expect(page.edges.map((e) => e.node.taskId)).toEqual(truth.USAGE_DETAIL.slice(0, 20));
  });
});

describe("upstream reads", () => {
  test("a window reads only the pages it covers", async () => {
    await tasks({ first: 50 });
    expect(h.pageReads()).toBe(1);
    h.resetCalls();
    await tasks({ first: 100, after: encodeCursor(24) });
    expect(h.pageReads()).toBe(3);
    h.resetCalls();
    await tasks({ first: 10, after: encodeCursor(99) });
    expect(h.pageReads()).toBe(1);
  });

  test("`last` without `before` reads page 1 and the tail", async () => {
    const page = await tasks({ last: 10 });
    expect(page.edges.map((e) => e.node.taskId)).toEqual(truth.USAGE_DETAIL.slice(-10));
    expect(h.pageReads()).toBe(2);
  });

  test("overlapping aliases read each page once", async () => {
    const response = await h.execute(`{
      a: tasks(first: 100) { ${CONNECTION} }
      b: tasks(first: 30, after: "${encodeCursor(40)}") { ${CONNECTION} }
      c: tasks(last: 20) { ${CONNECTION} }
      d: tasks(last: 5, before: "${encodeCursor(60)}") { totalCount }
      e: tasks { totalCount }
    }`);
    expect(response.errors).toBeUndefined();
    // Pages 1, 2 (a, b, d, e) and 3 (c: offsets 117–136).
    expect(h.pageReads("USAGE_DETAIL")).toBe(3);
    expect(h.totalCalls()).toBe(3);
  });

  test("kinds are paged separately", async () => {
    const response = await h.execute(`{ d: tasks(kind: USAGE_DETAIL, first: 5) { totalCount } u: tasks(kind: USER_USAGE, first: 5) { totalCount } }`);
    expect(response.data).toEqual({ d: { totalCount: HISTORY.USAGE_DETAIL }, u: { totalCount: HISTORY.USER_USAGE } });
    expect(h.pageReads("USAGE_DETAIL")).toBe(1);
    expect(h.pageReads("USER_USAGE")).toBe(1);
  });
});

describe("refused windows", () => {
  test.each([
    [{ first: 101 }, "first", "max-100"],
    [{ last: 500 }, "last", "max-100"],
    [{ first: -1 }, "first", "non-negative"],
    [{ first: 0 }, "first", "min-1"],
    [{ last: 0 }, "last", "min-1"],
    [{ last: 0, before: encodeCursor(10) }, "last", "min-1"],
    [{ after: "not-a-cursor" }, "after", "cursor-format"],
    [{ before: Buffer.from('{"v":9,"o":1}').toString("base64url") }, "before", "cursor-format"],
    [{ after: Buffer.from("[]").toString("base64url") }, "after", "cursor-format"],
  ])("%j → BAD_USER_INPUT on %s, no upstream call", async (args, field, rule) => {
    const response = await h.execute(TASKS, { variables: { kind: "USAGE_DETAIL", ...args } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field, rule });
    expect(h.totalCalls()).toBe(0);
  });
});

describe("cursors are bound to the list that issued them", () => {
  const FILTERED = `query Filtered($kind: ExportKind!, $filter: TaskFilter, $first: Int, $after: String, $last: Int, $before: String) {
    tasks(kind: $kind, filter: $filter, first: $first, after: $after, last: $last, before: $before) { edges { cursor node { taskId } } }
  }`;
  async function cursorOf(kind: ExportKind, filter: Record<string, unknown> | null, index = 3): Promise<string> {
    const response = await h.execute<{ tasks: { edges: Edge[] } }>(FILTERED, { variables: { kind, filter, first: index + 1 } });
    expect(response.errors).toBeUndefined();
    return response.data!.tasks.edges[index]!.cursor;
  }
  async function refusal(kind: ExportKind, filter: Record<string, unknown> | null, args: Record<string, unknown>) {
    h.resetCalls();
    const response = await h.execute(FILTERED, { variables: { kind, filter, ...args } });
    expect(h.totalCalls()).toBe(0);
    return response.errors?.[0]?.extensions;
  }

  test("a USAGE_DETAIL cursor given to USER_USAGE is refused, either way round, before any read", async () => {
    const detail = await cursorOf("USAGE_DETAIL", null);
    const user = await cursorOf("USER_USAGE", null);
    expect(await refusal("USER_USAGE", null, { first: 5, after: detail })).toMatchObject({ code: "BAD_USER_INPUT", field: "after", rule: "cursor-mismatch" });
    expect(await refusal("USAGE_DETAIL", null, { last: 5, before: user })).toMatchObject({ code: "BAD_USER_INPUT", field: "before", rule: "cursor-mismatch" });
  });

  test("a cursor of one filter is refused by another filter and by the plain list, and the other way round", async () => {
    const failed = await cursorOf("USAGE_DETAIL", { status: ["SUCCESS"] });
    const plain = await cursorOf("USAGE_DETAIL", null);
    const mismatch = { code: "BAD_USER_INPUT", field: "after", rule: "cursor-mismatch" };
    expect(await refusal("USAGE_DETAIL", { status: ["FAILED"] }, { first: 5, after: failed })).toMatchObject(mismatch);
    expect(await refusal("USAGE_DETAIL", null, { first: 5, after: failed })).toMatchObject(mismatch);
    expect(await refusal("USAGE_DETAIL", { status: ["SUCCESS"] }, { first: 5, after: plain })).toMatchObject(mismatch);
    expect(await refusal("USER_USAGE", { status: ["SUCCESS"] }, { first: 5, after: failed })).toMatchObject(mismatch);
  });

  test("the same filter spelled differently takes the cursor; an empty filter is the plain list", async () => {
    const cursor = await cursorOf("USAGE_DETAIL", { status: ["SUCCESS", "FAILED"], nameContains: "Report" });
    const response = await h.execute(FILTERED, {
      variables: { kind: "USAGE_DETAIL", filter: { nameContains: "rEPORT", status: ["FAILED", "SUCCESS", "FAILED"] }, first: 2, after: cursor },
    });
    expect(response.errors).toBeUndefined();
    const plain = await cursorOf("USAGE_DETAIL", null);
    const viaEmpty = await h.execute(FILTERED, { variables: { kind: "USAGE_DETAIL", filter: {}, first: 2, after: plain } });
    expect(viaEmpty.errors).toBeUndefined();
  });

  test("cursors from before bindings (plain offsets) still work on the plain list, not on a filtered one", async () => {
    const old = await tasks({ first: 3, after: encodeCursor(24) });
    expect(old.edges.map((e) => e.node.taskId)).toEqual(truth.USAGE_DETAIL.slice(25, 28));
    expect(await refusal("USAGE_DETAIL", { status: ["FAILED"] }, { first: 3, after: encodeCursor(24) })).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "after",
      rule: "cursor-mismatch",
    });
  });

  test("a cursor another connection issued (usage points, later) is refused", async () => {
    const points = encodeCursor(3, null, cursorBinding("usage.points", "10000001"));
    expect(await refusal("USAGE_DETAIL", null, { first: 5, after: points })).toMatchObject({ code: "BAD_USER_INPUT", field: "after", rule: "cursor-mismatch" });
  });
});

describe("single tasks", () => {
  const TASK_FIELDS = `id kind taskId name status rawStatus createdAt updatedAt startTime endTime downloadUrl`;

  test("task(kind, taskId) and node(id) return the same task", async () => {
    const taskId = truth.USER_USAGE[42]!;
    const byId = await h.execute<{ task: { id: string; taskId: string; kind: string } }>(
      `query($id: String!) { task(kind: USER_USAGE, taskId: $id) { ${TASK_FIELDS} } }`,
      { variables: { id: taskId } },
    );
    expect(byId.errors).toBeUndefined();
    expect(byId.data!.task).toMatchObject({ taskId, kind: "USER_USAGE" });
    const node = await h.execute<{ node: { taskId: string } }>(`query($id: ID!) { node(id: $id) { id ... on ExportTask { ${TASK_FIELDS} } } }`, {
      variables: { id: byId.data!.task.id },
    });
    expect(node.data!.node).toEqual(byId.data!.task);
  });

  test("times are UTC seconds, status maps the raw word", async () => {
    const response = await h.execute<{ tasks: { edges: { node: Record<string, string | null> }[] } }>(
      `{ tasks(first: 100) { edges { node { status rawStatus createdAt startTime } } } }`,
    );
    for (const { node } of response.data!.tasks.edges) {
      expect(node.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(node.status).toBe({ created: "CREATED", success: "SUCCESS", failed: "FAILED" }[node.rawStatus!] ?? "UNKNOWN");
    }
  });

  test("a missing task is null after reading each page once", async () => {
    const response = await h.execute(`{ task(taskId: "999999999") { taskId } }`);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ task: null });
    expect(h.pageReads()).toBe(Math.ceil(HISTORY.USAGE_DETAIL / 50));
  });

  test("a malformed task id is refused without reading", async () => {
    const response = await h.execute(`{ task(taskId: "a,b") { taskId } }`);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "taskId", rule: "task-id-format" });
    expect(h.totalCalls()).toBe(0);
  });

  test.each([
    ["not base64", "garbage!!"],
    ["another type", Buffer.from("PageInfo:1").toString("base64")],
    ["an unknown kind", Buffer.from("ExportTask:NOPE:1").toString("base64")],
    ["no task id", Buffer.from("ExportTask:USAGE_DETAIL:").toString("base64")],
  ])("a node id of %s is refused without reading", async (_name, id) => {
    const response = await h.execute(`query($id: ID!) { node(id: $id) { id } }`, { variables: { id } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id", rule: "global-id" });
    expect(h.totalCalls()).toBe(0);
  });
});

describe("entity lookups batch into one scan of shared pages", () => {
  const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on ExportTask { kind taskId } } }`;
  const reps = (kind: ExportKind, ids: string[]) => ids.map((taskId) => ({ __typename: "ExportTask", kind, taskId }));

  test("many representations on page 1 cost one read", async () => {
    const ids = truth.USAGE_DETAIL.slice(0, 50).reverse();
    const response = await h.execute<{ _entities: { taskId: string }[] }>(ENTITIES, { variables: { reps: reps("USAGE_DETAIL", ids) } });
    expect(response.data!._entities.map((e) => e.taskId)).toEqual(ids);
    expect(h.pageReads()).toBe(1);
  });

  test("representations across pages read pages 1 and 2 once; unknown ids are null", async () => {
    const ids = [truth.USAGE_DETAIL[70]!, "no-such-task-after-scan".slice(0, 0) + truth.USAGE_DETAIL[3]!, truth.USAGE_DETAIL[99]!];
    const response = await h.execute<{ _entities: ({ taskId: string } | null)[] }>(ENTITIES, {
      variables: { reps: reps("USAGE_DETAIL", ids) },
    });
    expect(response.data!._entities.map((e) => e?.taskId)).toEqual(ids);
    expect(h.pageReads()).toBe(2);
  });

  test("entities, task and a window in one request share pages", async () => {
    const response = await h.execute(
      `query($reps: [_Any!]!, $id: String!) {
        window: tasks(first: 100) { totalCount }
        one: task(taskId: $id) { taskId }
        _entities(representations: $reps) { ... on ExportTask { taskId } }
      }`,
      { variables: { id: truth.USAGE_DETAIL[80]!, reps: reps("USAGE_DETAIL", [truth.USAGE_DETAIL[10]!, truth.USAGE_DETAIL[90]!]) } },
    );
    expect(response.errors).toBeUndefined();
    expect(h.pageReads()).toBe(2);
  });

  test("a representation of an unknown kind resolves to null without reading", async () => {
    const response = await h.execute<{ _entities: unknown[] }>(ENTITIES, {
      variables: { reps: [{ __typename: "ExportTask", kind: "NOPE", taskId: "1" }] },
    });
    expect(response.data!._entities).toEqual([null]);
    expect(h.totalCalls()).toBe(0);
  });
});
