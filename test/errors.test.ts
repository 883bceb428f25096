/**
 * The error catalogue is the only place codes are made, and the README's error table is its
 * public face: both list the same codes with the same HTTP statuses, and every row says when.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ERROR_CODES,
  ERROR_HTTP_STATUS,
  ErrorCode,
  badRequest,
  badUserInput,
  badUserInputs,
  badVariable,
  costLimitExceeded,
  errorData,
  errorFromData,
  gatewayError,
  isErrorCode,
  persistedQueryNotFound,
  requestTooLarge,
  taskNotFound,
  unauthenticated,
  withFallbackCode,
} from "../src/errors.js";
import { GraphQLError, parse } from "graphql";

const ROOT = join(import.meta.dirname, "..");

interface ReadmeRow {
  code: string;
  status: string;
  when: string;
}

/** The rows of the table under "## Errors": `| code | HTTP | when | extensions |`. */
function readmeErrorTable(): ReadmeRow[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("\n## Errors\n"));
  const lines = section.split("\n").slice(1);
  const start = lines.findIndex((line) => line.startsWith("| code |"));
  expect(start, "the README's error table").toBeGreaterThanOrEqual(0);
  expect(lines[start]?.split("|").map((cell) => cell.trim())).toEqual(["", "code", "HTTP", "when", "extensions", ""]);
  const rows: ReadmeRow[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const [, code = "", status = "", when = ""] = line.split("|").map((cell) => cell.trim());
    rows.push({ code: code.replace(/^`|`$/g, ""), status, when });
  }
  return rows;
}

describe("the README's error table", () => {
  const rows = readmeErrorTable();

  it("lists exactly the catalogue's codes, each once", () => {
    expect(rows.map((row) => row.code).sort()).toEqual([...ERROR_CODES].sort());
    expect(new Set(rows.map((row) => row.code)).size).toBe(rows.length);
  });

  it("gives every code the catalogue's HTTP status and says when it happens", () => {
    for (const row of rows) {
      expect(isErrorCode(row.code), row.code).toBe(true);
      if (!isErrorCode(row.code)) continue;
      expect(row.status, row.code).toBe(String(ERROR_HTTP_STATUS[row.code]));
      expect(row.when.length, `meaning of ${row.code}`).toBeGreaterThan(10);
    }
  });
});

describe("the README on HTTP statuses", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = (heading: string): string => {
    const start = readme.indexOf(`\n## ${heading}\n`);
    return readme.slice(start, readme.indexOf("\n## ", start + 1));
  };

  it("says a refused operation gets 400 only with Accept: application/graphql-response+json (test/http/http-hardening.test.ts checks it)", () => {
    for (const heading of ["Errors", "Operation limits"]) {
      const text = section(heading).replace(/\s+/g, " ");
      expect(text, heading).toContain("application/graphql-response+json`");
      expect(text, heading).toMatch(/`(Accept: )?application\/json`.*200/);
    }
    expect(section("Operation limits")).not.toContain("A refused operation is answered with HTTP 400");
  });
});

describe("the catalogue", () => {
  it("codes are their own names; isErrorCode knows exactly them", () => {
    for (const [name, code] of Object.entries(ErrorCode)) expect(code).toBe(name);
    expect(isErrorCode("UPSTREAM_THROTTLED")).toBe(true);
    expect(isErrorCode("toString")).toBe(false);
    expect(isErrorCode("PERSISTED_QUERY_NOT_FOUND")).toBe(true);
    expect(isErrorCode("PERSISTED_QUERY_MISMATCH")).toBe(false);
  });

  it("a refusal carries its HTTP status; a field's error carries none (the response stays 200)", () => {
    expect(badRequest("no").extensions).toEqual({ code: "BAD_REQUEST", http: { status: 400 } });
    expect(requestTooLarge(1024).extensions).toEqual({ code: "REQUEST_ENTITY_TOO_LARGE", limitBytes: 1024, http: { status: 413 } });
    expect(requestTooLarge(1024).message).toBe("Request body too large: the limit is 1024 bytes (MAX_BODY_BYTES).");
    // Apollo's persisted-queries link looks for this exact message (or the code) before resending the query.
    expect(persistedQueryNotFound().message).toBe("PersistedQueryNotFound");
    expect(persistedQueryNotFound().extensions).toEqual({ code: "PERSISTED_QUERY_NOT_FOUND", http: { status: 404 } });
    expect(unauthenticated("who?").extensions).toEqual({ code: "UNAUTHENTICATED", http: { status: 401, headers: { "WWW-Authenticate": "Bearer" } } });
    expect(gatewayError(ErrorCode.PERSISTED_QUERY_ONLY, "ids only", { reason: "unknown-document" }).extensions).toEqual({
      code: "PERSISTED_QUERY_ONLY",
      reason: "unknown-document",
      http: { status: 400 },
    });
    expect(gatewayError(ErrorCode.FORBIDDEN, "no", { requiredScopes: ["export:read"] }).extensions).toEqual({ code: "FORBIDDEN", requiredScopes: ["export:read"] });
  });

  it("the cost budget is a located validation error with its numbers", () => {
    const [operation] = parse("{ tasks(first: 100) { totalCount } }").definitions;
    if (operation === undefined) throw new Error("no operation");
    const error = costLimitExceeded(6060, 5000, operation);
    expect(error.extensions).toEqual({ code: "GRAPHQL_VALIDATION_FAILED", limit: "cost", maxCost: 5000, cost: 6060, http: { status: 400 } });
    expect(error.nodes).toEqual([operation]);
    expect(error.locations).toEqual([{ line: 1, column: 1 }]);
    expect(error.message).toMatch(/cost 6060 exceeds the budget of 5000/);
  });

  it("BAD_USER_INPUT lists every violation and names the first; a variable keeps the 400 of a refused request", () => {
    const one = badUserInput("input.taskName", "task-name-format", "input.taskName: too long");
    expect(one.extensions).toEqual({
      code: "BAD_USER_INPUT",
      field: "input.taskName",
      rule: "task-name-format",
      violations: [{ field: "input.taskName", rule: "task-name-format", message: "input.taskName: too long" }],
    });
    const two = badUserInputs([
      { field: "input.endTime", rule: "end-after-start", message: "input.endTime: later please" },
      { field: "input.group", rule: "group-format", message: "input.group: empty" },
    ]);
    expect(two.message).toBe("input.endTime: later please; input.group: empty");
    expect(two.extensions).toMatchObject({ field: "input.endTime", rule: "end-after-start" });
    expect(two.extensions["violations"]).toHaveLength(2);
    const variable = badVariable("input", "startTime", "iso8601-utc-seconds", 'Variable "$input" got invalid value 5');
    expect(variable.extensions).toMatchObject({ code: "BAD_USER_INPUT", variable: "input", field: "$input.startTime", http: { status: 400 } });
  });

  it("NOT_FOUND names the task; an error without a code gets INTERNAL_SERVER_ERROR", () => {
    expect(taskNotFound("USAGE_DETAIL", "42", "gone").extensions).toEqual({ code: "NOT_FOUND", kind: "USAGE_DETAIL", taskId: "42" });
    const bare = withFallbackCode(new GraphQLError("Cannot return null", { path: ["tasks"] }));
    expect(bare.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    expect(bare.path).toEqual(["tasks"]);
  });

  it("error data survives JSON (it crosses replicas) and becomes the same GraphQL error", () => {
    const data = errorData(ErrorCode.UPSTREAM_THROTTLED, "slow down", { retryAfterMs: 1200 });
    const revived = errorFromData(JSON.parse(JSON.stringify(data)) as typeof data);
    expect(revived.message).toBe("slow down");
    expect(revived.extensions).toEqual({ code: "UPSTREAM_THROTTLED", retryAfterMs: 1200 });
  });
});

/** Files under `dir`, as paths relative to the repository. */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

describe("no code is made outside the catalogue", () => {
  // The emulator speaks the upstream's API (its own error codes), not the gateway's GraphQL.
  const exempt = (path: string): boolean => path === "src/errors.ts" || path.startsWith("src/emulator/");

  it("no other source file constructs a GraphQL error or writes a code literal", () => {
    const offenders: string[] = [];
    for (const path of sourceFiles("src")) {
      if (exempt(path)) continue;
      const text = readFileSync(join(ROOT, path), "utf8");
      if (/new GraphQLError\(|createGraphQLError\(/.test(text)) offenders.push(`${path}: constructs a GraphQL error`);
      if (/\bcode:\s*["'`][A-Z][A-Z0-9_]+["'`]/.test(text)) offenders.push(`${path}: code literal`);
    }
    expect(offenders).toEqual([]);
  });
});
