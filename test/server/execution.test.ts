/**
 * Operations through yoga's standard graphql-js executor, as the gateway runs them: windows with
 * cursors, variables, aliases and fragments, single tasks, federation entities, node lookups,
 * refused arguments, cursors and variables, and an unexpected error masked with its location.
 * The emulator runs with a fixed seed and clock, so every answer is known.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";
import type { CdnExportApi } from "../../src/upstream/types.js";

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const FIELDS = "id kind taskId name status rawStatus createdAt updatedAt startTime endTime";
const nodeId = (kind: string, taskId: string): string => Buffer.from(`ExportTask:${kind}:${taskId}`).toString("base64");

interface Task {
  id: string;
  kind: string;
  taskId: string;
  name: string | null;
  status: string;
  rawStatus: string;
  createdAt: string;
  updatedAt: string | null;
  startTime: string | null;
  endTime: string | null;
}
interface Window {
  totalCount: number;
  edges: Array<{ cursor: string; node: Task }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** The newest usage-detail task of the seed-7 history at NOW. */
const NEWEST: Task = {
  id: nodeId("USAGE_DETAIL", "10000419"),
  kind: "USAGE_DETAIL",
  taskId: "10000419",
  name: "Capacity planning",
  status: "CREATED",
  rawStatus: "created",
  createdAt: "2026-11-20T11:59:23Z",
  updatedAt: "2026-11-20T11:59:23Z",
  startTime: "2026-09-30T16:00:00Z",
  endTime: "2026-10-31T15:59:59Z",
};

describe("standard execution answers", () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startGatewayHarness({ emulator: { seed: 7, now: () => NOW }, now: () => NOW, client: { now: () => NOW } });
  });
  afterAll(async () => {
    await h.close();
  });

  test("a window with cursors", async () => {
    const query = `{ tasks(first: 20) { totalCount edges { cursor node { ${FIELDS} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
    const response = await h.execute<{ tasks: Window }>(query);
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    const window = response.data!.tasks;
    expect(window.totalCount).toBe(300);
    expect(window.edges.map((edge) => edge.node.taskId)).toEqual([
      "10000419", "10000417", "10000415", "10000414", "10000412", "10000411", "10000409", "10000407", "10000406", "10000405",
      "10000404", "10000403", "10000402", "10000400", "10000398", "10000397", "10000395", "10000394", "10000392", "10000391",
    ]);
    expect(window.edges[0]?.node).toEqual(NEWEST);
    expect(window.edges[19]?.node).toEqual({
      id: nodeId("USAGE_DETAIL", "10000391"),
      kind: "USAGE_DETAIL",
      taskId: "10000391",
      name: "Weekly report",
      status: "SUCCESS",
      rawStatus: "success",
      createdAt: "2026-11-16T20:36:39Z",
      updatedAt: "2026-11-16T20:44:36Z",
      startTime: "2026-10-29T20:00:00Z",
      endTime: "2026-11-05T20:00:00Z",
    });
    for (const edge of window.edges) expect(edge.node.id).toBe(nodeId("USAGE_DETAIL", edge.node.taskId));
    expect(new Set(window.edges.map((edge) => edge.cursor)).size).toBe(20);
    expect(window.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: window.edges[0]?.cursor, endCursor: window.edges[19]?.cursor });
  });

  test("variables, aliases, fragments", async () => {
    const query = `query Q($n: Int!, $kind: ExportKind!) { a: tasks(first: $n, kind: $kind) { ...C } b: tasks(last: 3) { ...C } } fragment C on ExportTaskConnection { totalCount edges { node { ... on ExportTask { taskId status } } } }`;
    const response = await h.execute(query, { variables: { n: 7, kind: "USER_USAGE" } });
    const nodes = (ids: string[], status: (id: string) => string) => ids.map((taskId) => ({ node: { taskId, status: status(taskId) } }));
    expect(response).toEqual({
      status: 200,
      data: {
        a: {
          totalCount: 120,
          edges: nodes(["10000420", "10000418", "10000416", "10000413", "10000410", "10000408", "10000401"], (id) => (id > "10000413" ? "CREATED" : "SUCCESS")),
        },
        b: { totalCount: 300, edges: nodes(["10000004", "10000003", "10000002"], () => "SUCCESS") },
      },
    });
  });

  test("one task and a missing one", async () => {
    const response = await h.execute(`{ t: task(taskId: "10000290") { ${FIELDS} } missing: task(taskId: "999") { taskId } }`);
    expect(response).toEqual({
      status: 200,
      data: {
        t: {
          id: nodeId("USAGE_DETAIL", "10000290"),
          kind: "USAGE_DETAIL",
          taskId: "10000290",
          name: null,
          status: "SUCCESS",
          rawStatus: "success",
          createdAt: "2026-10-30T17:27:37Z",
          updatedAt: "2026-10-30T17:34:31Z",
          startTime: "2026-10-11T17:00:00Z",
          endTime: "2026-10-18T17:00:00Z",
        },
        missing: null,
      },
    });
  });

  test("federation entities: a known task, and null for an unknown one", async () => {
    const query = `query E($r: [_Any!]!) { _entities(representations: $r) { ... on ExportTask { ${FIELDS} } } }`;
    const r = [
      { __typename: "ExportTask", kind: "USAGE_DETAIL", taskId: "10000120" },
      { __typename: "ExportTask", kind: "USAGE_DETAIL", taskId: "nope" },
    ];
    const response = await h.execute(query, { variables: { r } });
    expect(response).toEqual({
      status: 200,
      data: {
        _entities: [
          {
            id: nodeId("USAGE_DETAIL", "10000120"),
            kind: "USAGE_DETAIL",
            taskId: "10000120",
            name: null,
            status: "SUCCESS",
            rawStatus: "success",
            createdAt: "2026-09-23T18:33:47Z",
            updatedAt: "2026-09-23T18:42:05Z",
            startTime: "2026-09-20T18:00:00Z",
            endTime: "2026-09-21T18:00:00Z",
          },
          null,
        ],
      },
    });
  });

  test("a bad argument: BAD_USER_INPUT naming the field and rule, with its location", async () => {
    const response = await h.execute(`{ tasks(first: 500) { totalCount } }`);
    expect(response).toEqual({
      status: 200,
      data: null,
      errors: [
        {
          message: "first must be at most 100",
          locations: [{ line: 1, column: 3 }],
          path: ["tasks"],
          extensions: {
            field: "first",
            rule: "max-100",
            violations: [{ field: "first", rule: "max-100", message: "first must be at most 100" }],
            code: "BAD_USER_INPUT",
          },
        },
      ],
    });
  });

  test("a bad cursor next to a good field: the refusal nulls the (non-null) root", async () => {
    const response = await h.execute(`{ ok: tasks(first: 1) { totalCount } bad: tasks(first: 1, after: "not-a-cursor") { totalCount } }`);
    expect(response).toEqual({
      status: 200,
      data: null,
      errors: [
        {
          message: "after: not a cursor this gateway issued",
          locations: [{ line: 1, column: 38 }],
          path: ["bad"],
          extensions: {
            field: "after",
            rule: "cursor-format",
            violations: [{ field: "after", rule: "cursor-format", message: "after: not a cursor this gateway issued" }],
            code: "BAD_USER_INPUT",
          },
        },
      ],
    });
  });

  test("a variable of the wrong type: a request error (400) with graphql-js' message", async () => {
    const before = h.totalCalls();
    const response = await h.execute(`query Q($n: Int!) { tasks(first: $n) { totalCount } }`, { variables: { n: "ten" } });
    expect(response).toEqual({
      status: 400,
      errors: [{ message: 'Variable "$n" got invalid value "ten"; Int cannot represent non-integer value: "ten"', locations: [{ line: 1, column: 9 }] }],
    });
    expect(h.totalCalls()).toBe(before);
  });

  test("typename and a node id", async () => {
    const response = await h.execute(`{ __typename tasks(first: 1) { __typename edges { node { __typename id } } } }`);
    expect(response).toEqual({
      status: 200,
      data: { __typename: "Query", tasks: { __typename: "ExportTaskConnection", edges: [{ node: { __typename: "ExportTask", id: NEWEST.id } }] } },
    });
  });

  test("a node id resolves its task", async () => {
    const response = await h.execute(`query N($id: ID!) { node(id: $id) { ... on ExportTask { ${FIELDS} } } }`, { variables: { id: NEWEST.id } });
    expect(response).toEqual({ status: 200, data: { node: NEWEST } });
  });
});

describe("unexpected errors are masked", () => {
  const CANARY = "internal-detail-canary-1f2e";
  let h: GatewayHarness;
  beforeAll(async () => {
    // USER_USAGE reads fail with a plain Error: a bug, not an upstream answer.
    const wrapApi = (api: CdnExportApi): CdnExportApi => ({
      ...api,
      describeTasks: (kind, page, options) => (kind === "USER_USAGE" ? Promise.reject(new Error(CANARY)) : api.describeTasks(kind, page, options)),
    });
    h = await startGatewayHarness({ wrapApi });
  });
  afterAll(async () => {
    await h.close();
  });

  test("INTERNAL_SERVER_ERROR without detail, with the field's location and path", async () => {
    const response = await h.execute(`{ good: tasks(first: 1) { totalCount } bad: tasks(first: 1, kind: USER_USAGE) { totalCount } }`);
    expect(JSON.stringify(response)).not.toContain(CANARY);
    expect(response).toEqual({
      status: 200,
      data: null,
      errors: [{ message: "Unexpected error.", locations: [{ line: 1, column: 40 }], path: ["bad"], extensions: { code: "INTERNAL_SERVER_ERROR" } }],
    });
  });
});
