/**
 * A caller without the field's scope learns FORBIDDEN, never the field's input rules: the scope
 * check runs before argument validation and global-id decoding, and nothing reaches the upstream.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { Principal } from "../../src/auth/principal.js";
import { staticScopes } from "../../src/schema/scope-gate.js";
import { errorCodes, startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";

const principal = (...scopes: string[]): Principal => ({ id: "apikey:caller", name: "caller", scopes: new Set(scopes) });
const BAD_TIMES = { startTime: "2024-01-01", endTime: "not a time" };

const CREATE = `mutation($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }`;
const CREATE_USER = `mutation($i: CreateUserUsageExportInput!) { createUserUsageExport(input: $i) { taskId } }`;
const NODE = `query($id: ID!) { node(id: $id) { id } }`;

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ emulator: { historySize: 5 } });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.resetCalls();
});

describe("FORBIDDEN wins over BAD_USER_INPUT", () => {
  test.each([
    ["createUsageExport", CREATE, { type: "FLOW", ...BAD_TIMES, domainNames: ["not a host!"], taskName: "" }],
    ["createUserUsageExport", CREATE_USER, { ...BAD_TIMES, idempotencyKey: "" }],
  ])("%s with only export:read and invalid input", async (_name, query, input) => {
    const response = await h.execute(query, { principal: principal("export:read"), variables: { i: input } });
    expect(response.errors).toHaveLength(1);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", requiredScopes: ["export:create"] });
    expect(JSON.stringify(response.errors)).not.toMatch(/iso8601|rule|domainNames/i);
    expect(h.totalCalls()).toBe(0);
  });

  test("without any principal, invalid input is UNAUTHENTICATED", async () => {
    const response = await h.execute(CREATE, { principal: null, variables: { i: { type: "FLOW", ...BAD_TIMES } } });
    expect(errorCodes(response)).toEqual(["UNAUTHENTICATED"]);
    expect(h.totalCalls()).toBe(0);
  });

  test("tasks(first: 500) without export:read is FORBIDDEN, not a page-size complaint", async () => {
    const response = await h.execute(`{ tasks(first: 500) { totalCount } }`, { principal: principal("export:create") });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", requiredScopes: ["export:read"] });
    expect(h.totalCalls()).toBe(0);
  });

  test("node with an undecodable id and without export:read is FORBIDDEN", async () => {
    const response = await h.execute(NODE, { principal: principal("export:create", "export:delete"), variables: { id: "%%% not a global id" } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", requiredScopes: ["export:read"] });
    expect(h.totalCalls()).toBe(0);
  });

  test("deleteExportTask with only export:read is FORBIDDEN", async () => {
    const response = await h.execute(`mutation { deleteExportTask(input: { kind: USAGE_DETAIL, taskId: "" }) { deletedTaskId } }`, {
      principal: principal("export:read"),
    });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", requiredScopes: ["export:delete"] });
    expect(h.totalCalls()).toBe(0);
  });
});

describe("with the scope, the input rules still speak", () => {
  test("invalid create input is BAD_USER_INPUT, no upstream call", async () => {
    const response = await h.execute(CREATE, { principal: principal("export:create"), variables: { i: { type: "FLOW", ...BAD_TIMES } } });
    expect(errorCodes(response)).toContain("BAD_USER_INPUT");
    expect(h.totalCalls()).toBe(0);
  });

  test("node and _entities with export:read resolve a real task", async () => {
    const taskId = (await h.client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 1 })).tasks[0]!.taskId;
    const id = Buffer.from(`ExportTask:USAGE_DETAIL:${taskId}`).toString("base64");
    const node = await h.execute<{ node: { id: string } | null }>(NODE, { principal: principal("export:read"), variables: { id } });
    expect(node.errors).toBeUndefined();
    expect(node.data?.node?.id).toBe(id);
    const entities = await h.execute<{ _entities: Array<{ taskId: string } | null> }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on ExportTask { taskId } } }`,
      { principal: principal("export:read"), variables: { r: [{ __typename: "ExportTask", kind: "USAGE_DETAIL", taskId }] } },
    );
    expect(entities.errors).toBeUndefined();
    expect(entities.data?._entities).toEqual([{ taskId }]);
  });

  test("_entities without export:read is FORBIDDEN before any upstream read", async () => {
    const entities = await h.execute(`query($r: [_Any!]!) { _entities(representations: $r) { ... on ExportTask { taskId } } }`, {
      principal: principal("export:create"),
      variables: { r: [{ __typename: "ExportTask", kind: "USAGE_DETAIL", taskId: "1" }] },
    });
    expect(entities.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", requiredScopes: ["export:read"] });
    expect(h.totalCalls()).toBe(0);
  });
});

describe("staticScopes", () => {
  test("reads plain { scope: true } maps and leaves everything else to scope-auth", () => {
    expect(staticScopes({ "export:read": true })).toEqual(["export:read"]);
    expect(staticScopes({ "export:read": true, "export:create": true })).toEqual(["export:read", "export:create"]);
    expect(staticScopes({ "export:read": false })).toBeNull();
    expect(staticScopes({ $all: { "export:read": true } })).toBeNull();
    expect(staticScopes({ "some:other": true })).toBeNull();
    expect(staticScopes(() => true)).toBeNull();
    expect(staticScopes({})).toBeNull();
    expect(staticScopes(undefined)).toBeNull();
  });
});
