/**
 * The gateway executes queries with graphql-jit (src/execution/compiled-execution.ts). Compiled
 * code must answer exactly what graphql-js answers: the same operations run against two
 * emulators with the same seed and clock, one harness compiled and one interpreted, and the
 * answers (data, errors, codes, paths) must be equal.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";
import type { CdnExportApi } from "../../src/upstream/types.js";

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const FIELDS = "id kind taskId name status rawStatus createdAt updatedAt startTime endTime";

const OPERATIONS: ReadonlyArray<{ name: string; query: string; variables?: Record<string, unknown> }> = [
  { name: "a window with cursors", query: `{ tasks(first: 20) { totalCount edges { cursor node { ${FIELDS} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }` },
  { name: "variables, aliases, fragments", query: `query Q($n: Int!, $kind: ExportKind!) { a: tasks(first: $n, kind: $kind) { ...C } b: tasks(last: 3) { ...C } } fragment C on ExportTaskConnection { totalCount edges { node { ... on ExportTask { taskId status } } } }`, variables: { n: 7, kind: "USER_USAGE" } },
  { name: "one task and a missing one", query: `{ t: task(taskId: "10000290") { ${FIELDS} } missing: task(taskId: "999") { taskId } }` },
  { name: "federation entities", query: `query E($r: [_Any!]!) { _entities(representations: $r) { ... on ExportTask { ${FIELDS} } } }`, variables: { r: [{ __typename: "ExportTask", kind: "USAGE_DETAIL", taskId: "10000120" }, { __typename: "ExportTask", kind: "USAGE_DETAIL", taskId: "nope" }] } },
  { name: "a bad argument", query: `{ tasks(first: 500) { totalCount } }` },
  { name: "a bad cursor next to a good field", query: `{ ok: tasks(first: 1) { totalCount } bad: tasks(first: 1, after: "not-a-cursor") { totalCount } }` },
  { name: "a variable of the wrong type", query: `query Q($n: Int!) { tasks(first: $n) { totalCount } }`, variables: { n: "ten" } },
  { name: "typename and a node lookup", query: `{ __typename tasks(first: 1) { __typename edges { node { __typename id } } } }` },
];

describe("compiled execution answers what graphql-js answers", () => {
  let compiled: GatewayHarness;
  let interpreted: GatewayHarness;
  beforeAll(async () => {
    const emulator = { seed: 7, now: () => NOW };
    [compiled, interpreted] = await Promise.all([
      startGatewayHarness({ emulator, now: () => NOW, client: { now: () => NOW }, execution: "compiled" }),
      startGatewayHarness({ emulator, now: () => NOW, client: { now: () => NOW }, execution: "interpreted" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([compiled.close(), interpreted.close()]);
  });

  test.each(OPERATIONS)("$name", async ({ query, variables }) => {
    const options = variables === undefined ? {} : { variables };
    const [fast, reference] = await Promise.all([compiled.execute(query, options), interpreted.execute(query, options)]);
    expect(fast).toEqual(reference);
    // Each case means something: either data or a coded error came back.
    expect(reference.data ?? reference.errors).toBeTruthy();
  });

  test("a node id resolves the same task either way", async () => {
    const first = await interpreted.execute<{ tasks: { edges: { node: { id: string } }[] } }>("{ tasks(first: 1) { edges { node { id } } } }");
    const id = first.data?.tasks.edges[0]?.node.id;
    expect(id).toBeTruthy();
    const query = `query N($id: ID!) { node(id: $id) { ... on ExportTask { ${FIELDS} } } }`;
    const [fast, reference] = await Promise.all([compiled.execute(query, { variables: { id } }), interpreted.execute(query, { variables: { id } })]);
    expect(fast).toEqual(reference);
    expect(reference.data?.node).not.toBeNull();
  });
});

describe("compiled execution masks unexpected errors as graphql-js does", () => {
  const CANARY = "internal-detail-canary-1f2e";
  let compiled: GatewayHarness;
  let interpreted: GatewayHarness;
  beforeAll(async () => {
    // USER_USAGE reads fail with a plain Error: a bug, not an upstream answer.
    const wrapApi = (api: CdnExportApi): CdnExportApi => ({
      ...api,
      describeTasks: (kind, page, options) => (kind === "USER_USAGE" ? Promise.reject(new Error(CANARY)) : api.describeTasks(kind, page, options)),
    });
    [compiled, interpreted] = await Promise.all([
      startGatewayHarness({ wrapApi, execution: "compiled" }),
      startGatewayHarness({ wrapApi, execution: "interpreted" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([compiled.close(), interpreted.close()]);
  });

  test("the same masked error, with locations, and the good field still answers", async () => {
    const query = `{ good: tasks(first: 1) { totalCount } bad: tasks(first: 1, kind: USER_USAGE) { totalCount } }`;
    const [fast, reference] = await Promise.all([compiled.execute(query), interpreted.execute(query)]);
    expect(fast).toEqual(reference);
    expect(JSON.stringify(fast)).not.toContain(CANARY);
    expect(fast.errors?.[0]?.locations).toEqual([{ line: 1, column: 40 }]);
  });
});
