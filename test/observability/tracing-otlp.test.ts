/**
 * Tracing as an operator runs it: `src/main.ts` in its own process, configured only by OTEL_*
 * variables, exporting with the real OTLP/HTTP exporter to a collector stand-in on a loopback
 * port, in `http/protobuf` (the default) and `http/json`. The received bytes are decoded and the
 * request's trace checked from the caller's `traceparent` down to the signed upstream call; the
 * last spans arrive on SIGTERM. Without an endpoint (or with OTEL_SDK_DISABLED=true) the process
 * loads no SDK package at all.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startOtlpReceiver, type OtlpReceiver } from "../helpers/otlp-receiver.js";
import { childrenOf, KIND, only, spanTree } from "../helpers/tracing.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TASKS = "query Tasks { tasks(first: 3) { totalCount edges { node { taskId } } } }";
const COLLECTOR_KEY = "collector-key-Zq8!x";

interface Gateway {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
}

const children: ChildProcess[] = [];
const receivers: OtlpReceiver[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const receiver of receivers.splice(0)) await receiver.close();
});

async function startGateway(env: Record<string, string>): Promise<Gateway> {
  const child = spawn(process.execPath, ["--import", "tsx", "--import", "./test/fixtures/report-otel-modules.ts", "src/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", PORT: "0", METRICS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  for (let i = 0; i < 1500; i++) {
    const listening = /"url":"(http:\/\/127\.0\.0\.1:\d+\/graphql)".*"msg":"gateway listening"/.exec(out);
    if (listening) return { child, url: listening[1]!, stdout: () => out, stderr: () => err };
    if (child.exitCode !== null) throw new Error(`gateway exited early:\n${out}\n${err}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gateway never listened:\n${out}\n${err}`);
}

async function stop(gateway: Gateway): Promise<{ code: number | null; modules: string[] }> {
  gateway.child.kill("SIGTERM");
  const [code] = (await once(gateway.child, "exit")) as [number | null];
  const line = /OTEL_MODULES (\[.*\])/.exec(gateway.stderr());
  return { code, modules: line ? (JSON.parse(line[1]!) as string[]) : [] };
}

async function query(url: string, headers: Record<string, string>): Promise<void> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query: TASKS }) });
  const body = (await res.json()) as { errors?: unknown };
  expect(res.status).toBe(200);
  expect(body.errors).toBeUndefined();
}

function logLines(gateway: Gateway, requestId: string): Array<Record<string, unknown>> {
  return gateway
    .stdout()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.requestId === requestId);
}

describe.each([
  { protocol: "http/protobuf", contentType: "application/x-protobuf", exporter: "@opentelemetry/exporter-trace-otlp-proto", other: "@opentelemetry/exporter-trace-otlp-http" },
  { protocol: "http/json", contentType: "application/json", exporter: "@opentelemetry/exporter-trace-otlp-http", other: "@opentelemetry/exporter-trace-otlp-proto" },
])("OTLP over $protocol to a collector on loopback", ({ protocol, contentType, exporter, other }) => {
  it("exports the request's trace from the caller's traceparent down to the signed upstream call", async () => {
    const receiver = await startOtlpReceiver();
    receivers.push(receiver);
    const gateway = await startGateway({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${encodeURIComponent(COLLECTOR_KEY)}`,
      // Export soon after a span ends (default 5 s), as a test wants it.
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
    const traceId = randomBytes(16).toString("hex");
    const parentId = randomBytes(8).toString("hex");
    await query(gateway.url, { traceparent: `00-${traceId}-${parentId}-01`, "x-request-id": "otlp-e2e-1" });

    const spans = (await receiver.waitFor((all) => all.some((span) => span.traceId === traceId && span.name === "POST /graphql"))).filter((span) => span.traceId === traceId);
    const server = only(spans, "POST /graphql");
    expect(server).toMatchObject({ kind: KIND.SERVER, parentSpanId: parentId });
    const operation = only(spans, "query Tasks");
    expect(operation.parentSpanId).toBe(server.spanId);
    expect(operation.attributes).toMatchObject({ "graphql.operation.type": "query", "graphql.operation.name": "Tasks" });
    const read = only(spans, "cdn.page_read");
    expect(read.parentSpanId).toBe(operation.spanId);
    expect(read.attributes).toMatchObject({ "cdn.cache": "miss", "cdn.export_kind": "USAGE_DETAIL" });
    const [call] = childrenOf(spans, read);
    expect(call).toMatchObject({ name: "cdn DescribeUserUsageDetailDataExportTask", kind: KIND.CLIENT });
    expect(call!.attributes).toMatchObject({ "cdn.attempt": 1, "http.response.status_code": 200 });
    expect(call!.attributes["cdn.request_id"]).toEqual(expect.any(String));

    // Sent as the operator configured it.
    expect(receiver.exports.every((received) => received.contentType.startsWith(contentType))).toBe(true);
    expect(receiver.exports[0]?.headers.authorization).toBe(`Bearer ${COLLECTOR_KEY}`);
    expect(receiver.resources()[0]).toMatchObject({ "service.name": "cdn-export-gateway" });

    // The request's log lines name its trace.
    const lines = logLines(gateway, "otlp-e2e-1");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.traceId).toBe(traceId);
      expect(spans.map((span) => span.spanId)).toContain(line.spanId);
    }

    const { code, modules } = await stop(gateway);
    expect(code).toBe(0);
    expect(modules).toContain("@opentelemetry/sdk-trace-base");
    expect(modules).toContain(exporter);
    expect(modules).not.toContain(other);
    // Nothing of the collector's key in the logs.
    expect(gateway.stdout()).not.toContain(COLLECTOR_KEY);
    expect(spanTree(spans)).toContain("cdn DescribeUserUsageDetailDataExportTask");
  }, 60_000);
});

describe("tracing off", () => {
  it("OTEL_SDK_DISABLED=true: nothing is exported, no SDK package is loaded, log lines carry no trace", async () => {
    const receiver = await startOtlpReceiver();
    receivers.push(receiver);
    const gateway = await startGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: "true", OTEL_BSP_SCHEDULE_DELAY: "100" });
    await query(gateway.url, { traceparent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`, "x-request-id": "otlp-off-1" });
    const lines = logLines(gateway, "otlp-off-1");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toHaveProperty("traceId");
    const { code, modules } = await stop(gateway);
    expect(code).toBe(0);
    expect(receiver.exports).toEqual([]);
    // The API alone (a few kB of no-op facades); none of the SDK, exporters or instrumentation.
    expect(modules).toEqual(["@opentelemetry/api"]);
  }, 60_000);
});
