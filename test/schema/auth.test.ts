/** Scope rules are enforced by the schema itself, whoever builds the principal. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { Principal } from "../../src/auth/principal.js";
import { errorCodes, startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";

const DAY = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const INPUT = { startTime: iso(NOW - 5 * DAY), endTime: iso(NOW - DAY) };
const principal = (...scopes: string[]): Principal => ({ id: "apikey:caller", name: "caller", scopes: new Set(scopes) });

let h: GatewayHarness;
let knownTaskId: string;
beforeAll(async () => {
  h = await startGatewayHarness({ now: () => NOW, emulator: { historySize: 20 } });
  knownTaskId = (await h.client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 1 })).tasks[0]!.taskId;
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.resetCalls();
});

const READS = {
  tasks: `{ tasks(first: 5) { totalCount } }`,
  task: `{ task(taskId: "1") { taskId } }`,
  node: `{ node(id: "${Buffer.from("ExportTask:USAGE_DETAIL:1").toString("base64")}") { id } }`,
  entities: `{ _entities(representations: [{ __typename: "ExportTask", kind: "USAGE_DETAIL", taskId: "1" }]) { ... on ExportTask { taskId } } }`,
};

describe("without a principal", () => {
  test.each(Object.entries(READS))("%s → UNAUTHENTICATED, no upstream call", async (_name, query) => {
    const response = await h.execute(query, { principal: null });
    expect(errorCodes(response)).toEqual(["UNAUTHENTICATED"]);
    expect(h.totalCalls()).toBe(0);
  });

  test("mutations → UNAUTHENTICATED, no upstream call", async () => {
    const create = await h.execute(`mutation($i: CreateUserUsageExportInput!) { createUserUsageExport(input: $i) { taskId } }`, {
      principal: null,
      variables: { i: INPUT },
    });
    const remove = await h.execute(`mutation { deleteExportTask(input: { kind: USAGE_DETAIL, taskId: "1" }) { deletedTaskId } }`, { principal: null });
    expect([...errorCodes(create), ...errorCodes(remove)]).toEqual(["UNAUTHENTICATED", "UNAUTHENTICATED"]);
    expect(h.totalCalls()).toBe(0);
  });
});

describe("with too few scopes", () => {
  test("reads need export:read", async () => {
    for (const query of Object.values(READS)) {
      const response = await h.execute(query, { principal: principal("export:create", "export:delete") });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", requiredScopes: ["export:read"] });
    }
    expect(h.totalCalls()).toBe(0);
  });

  test("creating needs export:create, deleting export:delete", async () => {
    const create = await h.execute(`mutation($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }`, {
      principal: principal("export:read", "export:delete"),
      variables: { i: { type: "FLOW", ...INPUT } },
    });
    expect(create.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", requiredScopes: ["export:create"] });
    const remove = await h.execute(`mutation { deleteExportTask(input: { kind: USAGE_DETAIL, taskId: "1" }) { deletedTaskId } }`, {
      principal: principal("export:read", "export:create"),
    });
    expect(remove.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", requiredScopes: ["export:delete"] });
    expect(h.totalCalls()).toBe(0);
  });

  test("a creator without export:read gets the payload but not the task", async () => {
    const response = await h.execute<{ createUserUsageExport: { taskId: string; task: unknown } }>(
      `mutation($i: CreateUserUsageExportInput!) { createUserUsageExport(input: $i) { taskId task { taskId } } }`,
      { principal: principal("export:create"), variables: { i: INPUT } },
    );
    expect(response.data!.createUserUsageExport.taskId).toMatch(/\S/);
    expect(response.data!.createUserUsageExport.task).toBeNull();
    expect(errorCodes(response)).toEqual(["FORBIDDEN"]);
  });

  test("a reader reads", async () => {
    const response = await h.execute(`query($id: String!) { task(taskId: $id) { taskId } }`, {
      principal: principal("export:read"),
      variables: { id: knownTaskId },
    });
    expect(response).toMatchObject({ data: { task: { taskId: knownTaskId } } });
    expect(response.errors).toBeUndefined();
  });
});
