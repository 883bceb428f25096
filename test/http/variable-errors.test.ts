/**
 * Every error the gateway returns has a code: variables that do not coerce are BAD_USER_INPUT
 * naming the variable (and the path inside it), still refused with HTTP 400, and the access log
 * records the code instead of UNKNOWN. Through the real app (`startApp`), so the plugin is
 * tested where src/yoga.ts puts it.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GraphQLError } from "graphql";
import { withCodes } from "../../src/http/variable-errors.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";
import { subscribeSse } from "../helpers/sse-client.js";

let h: ServerHarness;
beforeAll(async () => {
  h = await startServerHarness({ env: { LOG_LEVEL: "info" } });
});
afterAll(() => h.close());

const CREATE = `mutation Create($input: CreateUsageExportInput!) { createUsageExport(input: $input) { taskId } }`;
const base = { type: "FLOW", startTime: "2026-11-01T00:00:00Z", endTime: "2026-11-02T00:00:00Z" };

describe("variables that do not coerce", () => {
  test.each([
    ["a string for an Int", "query Q($n: Int) { tasks(first: $n) { totalCount } }", { n: "ten" }, "n", "$n", "variable-type"],
    ["a missing required variable", "query Q($kind: ExportKind!) { tasks(kind: $kind) { totalCount } }", {}, "kind", "$kind", "required"],
    ["null for a non-null variable", "query Q($kind: ExportKind!) { tasks(kind: $kind) { totalCount } }", { kind: null }, "kind", "$kind", "required"],
    ["an unknown enum value", "query Q($kind: ExportKind!) { tasks(kind: $kind) { totalCount } }", { kind: "NOPE" }, "kind", "$kind", "variable-type"],
    ["a number for a DateTime inside an input", CREATE, { input: { ...base, startTime: 5 } }, "input", "$input.startTime", "iso8601-utc-seconds"],
    ["a number in a list inside an input", CREATE, { input: { ...base, domainNames: ["a.example.com", 7] } }, "input", "$input.domainNames", "variable-type"],
    ["a missing required field of an input", CREATE, { input: { startTime: base.startTime, endTime: base.endTime } }, "input", "$input.type", "required"],
    ["an unknown field of an input", CREATE, { input: { ...base, colour: "red" } }, "input", "$input.colour", "variable-type"],
  ])("%s → BAD_USER_INPUT naming the variable, HTTP 400, logged with its code", async (_name, query, variables, variable, field, rule) => {
    const requestId = `req-var-${variable}-${Math.random().toString(36).slice(2, 10)}`;
    for (const accept of ["application/graphql-response+json", "application/json"]) {
      const response = await postGraphQL(h.url, query, { variables, headers: { accept, "x-request-id": requestId } });
      expect(response.status).toBe(400);
      expect(response.body.errors).toHaveLength(1);
      const error = response.body.errors![0]!;
      expect(error.message).toContain(`"$${variable}"`);
      expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", variable, field, rule, violations: [{ field, rule, message: error.message }] });
      expect(error.extensions).not.toHaveProperty("http");
    }
    const lines = h.logs.records().filter((r) => r.msg === "graphql operation" && r.requestId === requestId);
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.errorCodes).toEqual(["BAD_USER_INPUT"]);
  });

  test("a subscription's variables are coded the same way", async () => {
    const subscription = await subscribeSse(h.url, {
      query: "subscription W($kind: ExportKind!, $id: String!) { exportTaskUpdated(kind: $kind, taskId: $id) { taskId } }",
      variables: { kind: "NOPE", id: "1" },
    });
    try {
      const event = await subscription.next();
      expect(event?.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", variable: "kind", field: "$kind" });
    } finally {
      subscription.close();
    }
  });

  test("valid variables are untouched", async () => {
    const response = await postGraphQL(h.url, "query Q($n: Int) { tasks(first: $n) { totalCount } }", { variables: { n: 2 } });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
  });
});

describe("every error has a code", () => {
  test("an error without one (graphql-js's own about an answer) gets INTERNAL_SERVER_ERROR, keeping its message and path", () => {
    const bare = new GraphQLError("Cannot return null for non-nullable field Query.tasks.", { path: ["tasks"] });
    const coded = new GraphQLError("coded", { extensions: { code: "FORBIDDEN" } });
    const result = withCodes({ data: null, errors: [bare, coded] });
    expect(result.errors?.map((e) => [e.message, e.extensions["code"], e.path])).toEqual([
      ["Cannot return null for non-nullable field Query.tasks.", "INTERNAL_SERVER_ERROR", ["tasks"]],
      ["coded", "FORBIDDEN", undefined],
    ]);
    const clean = { data: { a: 1 } };
    expect(withCodes(clean)).toBe(clean);
  });
});
