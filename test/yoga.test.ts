/**
 * The yoga instance's plugins (src/yoga.ts): one named list, in the order yoga runs them, and
 * /ready answered by the first of them before any request bookkeeping.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import type { TaskWatchHub } from "../src/live/index.js";
import { createLogger } from "../src/observability/logger.js";
import { createMetrics } from "../src/observability/metrics.js";
import { RequestTracker } from "../src/observability/request-tracker.js";
import { setTracingActive } from "../src/observability/spans.js";
import { schema } from "../src/schema/index.js";
import { createMemoryIdempotencyStore } from "../src/state/idempotency-memory.js";
import type { CdnExportApi } from "../src/upstream/types.js";
import { createGatewayYoga, gatewayPlugins, type GatewayYogaDeps } from "../src/yoga.js";
import { logSink } from "./helpers/server-harness.js";

function deps(overrides: Partial<GatewayYogaDeps> = {}): GatewayYogaDeps {
  return {
    config: loadConfig({ PORT: "0", METRICS_PORT: "0" }),
    schema,
    api: {} as CdnExportApi, // nothing here reads the upstream
    logger: createLogger({ level: "silent" }),
    metrics: createMetrics(),
    now: Date.now,
    monotonic: () => performance.now(),
    taskWatch: {} as TaskWatchHub,
    ready: () => Promise.resolve({ status: 200, body: { status: "ready", checks: { upstream: "ok" } } }),
    ...overrides,
  };
}

describe("gatewayPlugins", () => {
  it("lists the plugins in order, each with a reason", () => {
    const list = gatewayPlugins(deps(), new RequestTracker());
    expect(list.map((entry) => entry.name)).toEqual([
      "graphql-js execution",
      "readiness",
      "request id",
      "error codes",
      "access log",
      "metrics",
      "CSRF prevention",
      "body limit",
      "safe parsing",
      "authentication",
      "usage CSV route",
      "automatic persisted queries",
      "operation limits",
    ]);
    for (const entry of list) expect(entry.why).toMatch(/\S/);
  });

  it("adds the tracing plugin (operation spans) after the request id only while tracing is on", () => {
    setTracingActive(true);
    try {
      const names = gatewayPlugins(deps(), new RequestTracker()).map((entry) => entry.name);
      expect(names.slice(0, 6)).toEqual(["graphql-js execution", "readiness", "request id", "tracing", "error codes", "access log"]);
    } finally {
      setTracingActive(false);
    }
    expect(gatewayPlugins(deps(), new RequestTracker()).map((entry) => entry.name)).not.toContain("tracing");
  });

  it("adds trusted documents after authentication, idempotency after it, the caller's plugins last", () => {
    const base = deps();
    const config = { ...base.config, trustedDocuments: { path: "manifest.json", format: "map" as const, documents: new Map([["a", "{ __typename }"]]) } };
    const names = gatewayPlugins({ ...base, config, idempotencyStore: createMemoryIdempotencyStore(), plugins: [{}] }, new RequestTracker()).map((entry) => entry.name);
    expect(names.slice(names.indexOf("authentication"))).toEqual(["authentication", "usage CSV route", "trusted documents", "operation limits", "idempotency", "extra 1"]);
  });
});

describe("createGatewayYoga", () => {
  it("answers /ready with the listener's answer, as JSON, with no request id and no access line", async () => {
    const logs = logSink();
    const yoga = createGatewayYoga(
      deps({
        logger: createLogger({ level: "info", destination: logs }),
        ready: () => Promise.resolve({ status: 503, body: { status: "draining", checks: {} } }),
      }),
    );
    const response = await yoga.fetch("http://gateway.test/ready");
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ status: "draining", checks: {} });
    expect(response.headers.get("x-request-id")).toBeNull();
    expect(logs.records()).toEqual([]);
    // A GraphQL request does get both.
    const graphql = await yoga.fetch("http://gateway.test/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) });
    expect(graphql.headers.get("x-request-id")).toMatch(/\S/);
    expect(logs.records().map((r) => r.msg)).toContain("graphql operation");
    await yoga.dispose();
  });
});
