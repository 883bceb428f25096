/**
 * Tracing in a test process: the gateway's own SDK set-up (startTracing) with an in-memory
 * exporter instead of OTLP, and the finished spans as plain records that tests (and the OTLP
 * decoders of the end-to-end test) can walk as a tree.
 */
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { tracingFromEnv } from "../../src/config-tracing.js";
import { startTracing, type Tracing } from "../../src/observability/tracing.js";
import type { TracingSettings } from "../../src/observability/tracing-settings.js";

export interface SpanRecord {
  name: string;
  /** OTLP's numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  attributes: Record<string, unknown>;
  links: Array<{ traceId: string; spanId: string }>;
  status: { code: number; message: string };
  events: string[];
}

export function tracingSettings(env: Record<string, string> = {}): TracingSettings {
  const parsed = tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", ...env });
  if (!parsed.ok || parsed.value === null) throw new Error("tracing settings did not parse");
  return parsed.value;
}

export interface MemoryTracing {
  tracing: Tracing;
  spans(): SpanRecord[];
  reset(): void;
  /** Waits until `done(spans)` holds (spans end when responses close, a little after a client has its answer). */
  waitFor(done: (spans: SpanRecord[]) => boolean, timeoutMs?: number): Promise<SpanRecord[]>;
  shutdown(): Promise<void>;
}

export async function startMemoryTracing(env: Record<string, string> = {}): Promise<MemoryTracing> {
  const exporter = new InMemorySpanExporter();
  const tracing = await startTracing(tracingSettings(env), { spanProcessor: new SimpleSpanProcessor(exporter) });
  const spans = (): SpanRecord[] => exporter.getFinishedSpans().map(fromReadable);
  return {
    tracing,
    spans,
    reset: () => exporter.reset(),
    async waitFor(done, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = spans();
        if (done(now)) return now;
        if (Date.now() > deadline) throw new Error(`spans never matched; have:\n${spanTree(now)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    shutdown: () => tracing.shutdown(),
  };
}

export function fromReadable(span: ReadableSpan): SpanRecord {
  const context = span.spanContext();
  return {
    name: span.name,
    // The API's SpanKind counts from 0 (INTERNAL); OTLP's from 1.
    kind: span.kind + 1,
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    attributes: { ...span.attributes },
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId })),
    status: { code: span.status.code, message: span.status.message ?? "" },
    events: span.events.map((event) => event.name),
  };
}

export const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;

export function named(spans: readonly SpanRecord[], name: string): SpanRecord[] {
  return spans.filter((span) => span.name === name);
}

export function only(spans: readonly SpanRecord[], name: string): SpanRecord {
  const found = named(spans, name);
  if (found.length !== 1) throw new Error(`expected one span "${name}", found ${found.length}:\n${spanTree(spans)}`);
  return found[0]!;
}

export function childrenOf(spans: readonly SpanRecord[], parent: SpanRecord): SpanRecord[] {
  return spans.filter((span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId);
}

/** Each trace as an indented tree, `name [kind] key=value…`, roots first; parents outside the set are noted. */
export function spanTree(spans: readonly SpanRecord[], show: readonly string[] = []): string {
  const ids = new Set(spans.map((span) => span.spanId));
  const roots = spans.filter((span) => span.parentSpanId === null || !ids.has(span.parentSpanId));
  const lines: string[] = [];
  const walk = (span: SpanRecord, depth: number): void => {
    const facts = show.filter((key) => key in span.attributes).map((key) => `${key}=${String(span.attributes[key])}`);
    const parent = depth === 0 && span.parentSpanId !== null ? ` (parent ${span.parentSpanId} outside)` : "";
    lines.push(`${"  ".repeat(depth)}${span.name} [${["", "internal", "server", "client"][span.kind] ?? span.kind}]${facts.length > 0 ? ` ${facts.join(" ")}` : ""}${parent}`);
    for (const child of childrenOf(spans, span)) walk(child, depth + 1);
  };
  for (const root of roots) walk(root, 0);
  return lines.join("\n");
}
