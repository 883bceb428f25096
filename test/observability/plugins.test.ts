import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

const CANARY = "canary-Secret-7fQ2xL9pW4";
const CANARY_KEY = `${CANARY}-apikey`;
const CANARY_TOKEN = `${CANARY}-sts`;

const TASKS = "query Tasks { tasks(first: 5) { totalCount edges { node { taskId status } } } }";

describe("access log, request ids and metrics", () => {
  let h: ServerHarness;
  beforeAll(async () => {
    h = await startServerHarness({
      env: { LOG_LEVEL: "info", CDN_CACHE_TTL_MS: "0" },
      configure: (c) => ({ ...c, metrics: { host: "127.0.0.1", port: 0 } }),
    });
  });
  afterAll(() => h.close());

  it("writes one JSON line per operation with request id, name, duration, upstream calls, error codes", async () => {
    const res = await postGraphQL(h.url, TASKS, { headers: { "x-request-id": "req-abc.123" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("req-abc.123");
    const line = h.logs.records().find((r) => r.msg === "graphql operation" && r.requestId === "req-abc.123");
    expect(line).toMatchObject({ level: "info", operationName: "Tasks", operationType: "query", status: 200, method: "POST", path: "/graphql", errorCodes: [] });
    expect(line?.upstreamCalls).toBeGreaterThanOrEqual(1);
    expect(typeof line?.durationMs).toBe("number");
    expect(line).not.toHaveProperty("query");
    expect(line).not.toHaveProperty("variables");
  });

  it("generates a request id when none (or an unsafe one) is sent", async () => {
    const res = await postGraphQL(h.url, TASKS, { headers: { "x-request-id": "bad id with spaces" } });
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.logs.records().some((r) => r.msg === "graphql operation" && r.requestId === id)).toBe(true);
  });

  it("logs the error codes of a failed operation", async () => {
    const res = await postGraphQL(h.url, "query TooMany { tasks(first: 500) { totalCount } }", { headers: { "x-request-id": "req-bad-input" } });
    const codes = (res.body.errors ?? []).map((e) => e.extensions?.code);
    expect(codes.length).toBeGreaterThan(0);
    const line = h.logs.records().find((r) => r.requestId === "req-bad-input");
    expect(line?.errorCodes).toEqual([...new Set(codes)]);
    expect(line?.upstreamCalls).toBe(0);
  });

  it("every line written while handling a request carries its id, upstream failure logs included", async () => {
    const before = h.logs.records().length;
    h.emulator!.setFaults({ serverErrorRate: 1 });
    try {
      // Two kinds, so the two requests' reads are not coalesced into one upstream call.
      await Promise.all([
        postGraphQL(h.url, TASKS, { headers: { "x-request-id": "req-fail-a" } }),
        postGraphQL(h.url, "query Users { tasks(kind: USER_USAGE, first: 5) { totalCount } }", { headers: { "x-request-id": "req-fail-b" } }),
      ]);
    } finally {
      h.emulator!.setFaults({});
    }
    const failures = h.logs.records().slice(before).filter((r) => r.msg === "upstream call failed");
    const byRequest = (id: string) => failures.filter((r) => r.requestId === id);
    expect(byRequest("req-fail-a").map((r) => r.action)).toContain("DescribeUserUsageDetailDataExportTask");
    expect(byRequest("req-fail-b").map((r) => r.action)).toContain("DescribeUserUsageDataExportTask");
    expect(byRequest("req-fail-a").length + byRequest("req-fail-b").length).toBe(failures.length);
    // Outside a request there is no id to add.
    expect(h.logs.records().find((r) => r.msg === "gateway listening")).not.toHaveProperty("requestId");
  });

  it("serves upstream and GraphQL metrics on the separate metrics listener only", async () => {
    await postGraphQL(h.url, TASKS);
    expect(h.gateway.metricsUrl).not.toBeNull();
    const res = await fetch(h.gateway.metricsUrl!);
    expect(res.status).toBe(200);
    const text = await res.text();
    const ok = /cdn_gateway_upstream_calls_total\{action="DescribeUserUsageDetailDataExportTask",outcome="ok"\} (\d+)/.exec(text);
    expect(Number(ok?.[1])).toBeGreaterThanOrEqual(1);
    expect(text).toContain("cdn_gateway_upstream_call_duration_seconds_bucket");
    expect(text).toContain("cdn_gateway_upstream_retries_total");
    expect(text).toMatch(/graphql_envelop_request\{[^}]*operationType="query"\} [1-9]/);
    // The public port has no /metrics.
    expect((await fetch(`${h.base}/metrics`)).status).toBe(404);
  });
});

describe("metrics listener", () => {
  it("a taken metrics port logs a warning but does not stop the gateway", async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    const { port } = squatter.address() as AddressInfo;
    const h = await startServerHarness({ configure: (c) => ({ ...c, metrics: { host: "127.0.0.1", port } }) });
    try {
      expect(h.gateway.metricsUrl).toBeNull();
      expect(h.logs.records().some((r) => r.level === "warn" && String(r.msg).includes("metrics listener"))).toBe(true);
      expect((await postGraphQL(h.url, TASKS)).status).toBe(200);
    } finally {
      await h.close();
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});

describe("secrets never reach logs or metrics", () => {
  let h: ServerHarness;
  beforeAll(async () => {
    h = await startServerHarness({
      env: {
        LOG_LEVEL: "trace",
        CDN_CACHE_TTL_MS: "0",
        CDN_MAX_ATTEMPTS: "2",
        EMULATOR_ACCESS_KEY_ID: "LTAIcanaryEmulator",
        EMULATOR_ACCESS_KEY_SECRET: CANARY,
        GATEWAY_AUTH: "required",
        GATEWAY_API_KEYS: JSON.stringify([{ name: "dashboard", key: CANARY_KEY, scopes: ["export:read"] }]),
      },
      configure: (c) => ({ ...c, metrics: { host: "127.0.0.1", port: 0 } }),
    });
  });
  afterAll(() => h.close());

  it("with valid and invalid keys, upstream failures and secret-looking headers", async () => {
    const ok = await postGraphQL(h.url, TASKS, { headers: { authorization: `Bearer ${CANARY_KEY}`, "x-acs-security-token": CANARY_TOKEN, cookie: `s=${CANARY}` } });
    expect(ok.status).toBe(200);
    expect(JSON.stringify(ok.body)).not.toContain(CANARY);
    const refused = await postGraphQL(h.url, TASKS, { headers: { authorization: `Bearer ${CANARY_KEY}x` } });
    expect(refused.status).toBe(401);
    h.emulator!.setFaults({ serverErrorRate: 1 });
    const failed = await postGraphQL(h.url, TASKS, { headers: { authorization: `Bearer ${CANARY_KEY}` } });
    expect(failed.body.errors?.length).toBeGreaterThan(0);
    h.emulator!.setFaults({ serverErrorRate: 0, malformedRate: 1 });
    await postGraphQL(h.url, TASKS, { headers: { authorization: `Bearer ${CANARY_KEY}` } });
    h.emulator!.setFaults({ malformedRate: 0 });

    const logs = h.logs.lines.join("");
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).toContain("graphql operation");
    expect(logs).not.toContain(CANARY);
    const metrics = await (await fetch(h.gateway.metricsUrl!)).text();
    expect(metrics).not.toContain(CANARY);
  });

  it("the logger redacts secret-bearing fields and scrubs secret values wherever they appear", () => {
    h.logger.info({ headers: { authorization: "Bearer abc", cookie: "c=1" }, accessKeySecret: "x", nested: { securityToken: "y" } }, "probe");
    h.logger.warn(`message that quotes ${CANARY_KEY} by mistake`);
    h.logger.error({ err: Object.assign(new Error(`boom ${CANARY}`), { request: { secret: CANARY, signature: "sig" } }) }, "upstream exploded");
    const lines = h.logs.records().slice(-3);
    expect(lines[0]).toMatchObject({ headers: { authorization: "[REDACTED]", cookie: "[REDACTED]" }, accessKeySecret: "[REDACTED]", nested: { securityToken: "[REDACTED]" } });
    expect(JSON.stringify(lines)).not.toContain(CANARY);
    // Errors are reduced to type/message/code/stack: never their arbitrary own properties.
    expect((lines[2]?.err as Record<string, unknown>).request).toBeUndefined();
  });
});
