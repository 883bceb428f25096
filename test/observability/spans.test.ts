/**
 * The span helpers every layer uses (src/observability/spans.ts): without tracing they do no
 * tracing work at all; with it, `traceExport` (the helper src/exports uses for `export.fetch` and
 * `export.parse`) records the download's host and never the signed URL, and failures by code.
 * A span context handed to another replica as a `traceparent` comes back as a remote context, and
 * only a well-formed one does.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  currentSpanContext,
  spanContextFromTraceparent,
  traceExport,
  traceLogFields,
  traceparentOf,
  tracingActive,
  withSpan,
  withTraceLogFields,
} from "../../src/observability/spans.js";
import { KIND, only, startMemoryTracing, type MemoryTracing } from "../helpers/tracing.js";

let mem: MemoryTracing | null = null;
afterEach(async () => {
  await mem?.shutdown();
  mem = null;
});

describe("without tracing", () => {
  it("runs the work directly: no span, no trace fields, the base mixin unchanged", async () => {
    expect(tracingActive()).toBe(false);
    expect(await withSpan("x", {}, (span) => Promise.resolve(span))).toBeUndefined();
    const seen: unknown[] = [];
    await traceExport("export.fetch", { downloadUrl: "https://b.example.com/f?Signature=s" }, (span) => {
      span.set("export.bytes", 1);
      seen.push("ran");
      return Promise.resolve();
    });
    expect(seen).toEqual(["ran"]);
    expect(currentSpanContext()).toBeNull();
    expect(traceLogFields()).toEqual({});
    const base = (): Record<string, unknown> => ({ requestId: "r" });
    expect(withTraceLogFields(base)).toBe(base);
  });
});

describe("traceExport", () => {
  it("export.fetch: a CLIENT span with the kind, the task and the download host only", async () => {
    mem = await startMemoryTracing();
    const url = "https://cdn-export.oss-cn-hangzhou.aliyuncs.com/2026/usage.xlsx?OSSAccessKeyId=LTAIx&Expires=1&Signature=SignedPartMustNotAppear";
    await withSpan("query Usage", {}, () =>
      traceExport("export.fetch", { kind: "USAGE_DETAIL", taskId: "t-1", downloadUrl: url }, (span) => {
        span.set("export.bytes", 4096);
        span.set("http.response.status_code", 200);
        span.setCache("miss");
        return Promise.resolve();
      }),
    );
    const spans = mem.spans();
    const fetched = only(spans, "export.fetch");
    expect(fetched.kind).toBe(KIND.CLIENT);
    expect(fetched.parentSpanId).toBe(only(spans, "query Usage").spanId);
    expect(fetched.attributes).toEqual({
      "cdn.export_kind": "USAGE_DETAIL",
      "cdn.task_id": "t-1",
      "server.address": "cdn-export.oss-cn-hangzhou.aliyuncs.com",
      "export.bytes": 4096,
      "http.response.status_code": 200,
      "export.cache": "miss",
    });
    const text = JSON.stringify(spans);
    expect(text).not.toContain("SignedPartMustNotAppear");
    expect(text).not.toContain("usage.xlsx");
  });

  it("export.parse: a failure is recorded by its code and rethrown unchanged", async () => {
    mem = await startMemoryTracing();
    const failure = Object.assign(new Error("row 12: unreadable text 'secret-ish cell'"), { code: "EXPORT_UNREADABLE" });
    await expect(traceExport("export.parse", { kind: "USAGE_DETAIL", taskId: "t-2" }, () => Promise.reject(failure))).rejects.toBe(failure);
    const parsed = only(mem.spans(), "export.parse");
    expect(parsed.kind).toBe(KIND.INTERNAL);
    expect(parsed.attributes["error.type"]).toBe("EXPORT_UNREADABLE");
    expect(parsed.status).toEqual({ code: 2, message: "EXPORT_UNREADABLE" });
    expect(JSON.stringify(parsed)).not.toContain("secret-ish");
  });
});

describe("samplers (OTEL_TRACES_SAMPLER)", () => {
  const rootSpans = async (env: Record<string, string>): Promise<number> => {
    mem = await startMemoryTracing(env);
    for (let i = 0; i < 20; i++) await withSpan("root", {}, () => Promise.resolve());
    const count = mem.spans().length;
    await mem.shutdown();
    mem = null;
    return count;
  };

  it("parentbased_always_on by default; always_off and a ratio of 0 record nothing", async () => {
    expect(await rootSpans({})).toBe(20);
    expect(await rootSpans({ OTEL_TRACES_SAMPLER: "always_off" })).toBe(0);
    expect(await rootSpans({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0" })).toBe(0);
    expect(await rootSpans({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "1" })).toBe(20);
  });
});

describe("span contexts as traceparent values", () => {
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const spanId = "00f067aa0ba902b7";

  it("round-trips as a remote context with its flags", () => {
    const value = traceparentOf({ traceId, spanId, traceFlags: 1 });
    expect(value).toBe(`00-${traceId}-${spanId}-01`);
    expect(spanContextFromTraceparent(value)).toEqual({ traceId, spanId, traceFlags: 1, isRemote: true });
    expect(spanContextFromTraceparent(traceparentOf({ traceId, spanId, traceFlags: 0 }))).toMatchObject({ traceFlags: 0 });
  });

  it("rejects anything else", () => {
    for (const value of [
      "",
      `00-${traceId}-${spanId}`,
      `00-${traceId}-${spanId}-01-00`,
      `01-${traceId}-${spanId}-01`,
      `00-${traceId.toUpperCase()}-${spanId}-01`,
      `00-${"0".repeat(32)}-${spanId}-01`,
      `00-${traceId}-${"0".repeat(16)}-01`,
      `00-${traceId.slice(1)}-${spanId}-01`,
      `00-${traceId}-${spanId}-0g`,
      ` 00-${traceId}-${spanId}-01`,
    ]) {
      expect(spanContextFromTraceparent(value), value).toBeNull();
    }
  });
});
