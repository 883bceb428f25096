/**
 * A stand-in OpenTelemetry collector on a loopback port: accepts OTLP/HTTP trace exports
 * (`POST /v1/traces`, protobuf or JSON), keeps each request's raw bytes and headers, and decodes
 * the spans (protobuf with protobufjs over the OTLP trace messages, field numbers as in
 * opentelemetry-proto's trace.proto and common.proto).
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import protobuf from "protobufjs";
import type { SpanRecord } from "./tracing.js";

export interface ReceivedExport {
  contentType: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: the value for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  readonly exports: ReceivedExport[];
  spans(): SpanRecord[];
  /** service.name and the other resource attributes of every export. */
  resources(): Array<Record<string, unknown>>;
  waitFor(done: (spans: SpanRecord[]) => boolean, timeoutMs?: number): Promise<SpanRecord[]>;
  close(): Promise<void>;
}

const anyValue = { oneofs: { value: { oneof: ["stringValue", "boolValue", "intValue", "doubleValue", "arrayValue", "kvlistValue", "bytesValue"] } }, fields: {
  stringValue: { type: "string", id: 1 },
  boolValue: { type: "bool", id: 2 },
  intValue: { type: "int64", id: 3 },
  doubleValue: { type: "double", id: 4 },
  arrayValue: { type: "ArrayValue", id: 5 },
  kvlistValue: { type: "KeyValueList", id: 6 },
  bytesValue: { type: "bytes", id: 7 },
} };

const OTLP = protobuf.Root.fromJSON({
  nested: {
    AnyValue: anyValue,
    ArrayValue: { fields: { values: { rule: "repeated", type: "AnyValue", id: 1 } } },
    KeyValueList: { fields: { values: { rule: "repeated", type: "KeyValue", id: 1 } } },
    KeyValue: { fields: { key: { type: "string", id: 1 }, value: { type: "AnyValue", id: 2 } } },
    Resource: { fields: { attributes: { rule: "repeated", type: "KeyValue", id: 1 } } },
    InstrumentationScope: { fields: { name: { type: "string", id: 1 }, version: { type: "string", id: 2 } } },
    Status: { fields: { message: { type: "string", id: 2 }, code: { type: "int32", id: 3 } } },
    Event: { fields: { timeUnixNano: { type: "fixed64", id: 1 }, name: { type: "string", id: 2 }, attributes: { rule: "repeated", type: "KeyValue", id: 3 } } },
    Link: { fields: { traceId: { type: "bytes", id: 1 }, spanId: { type: "bytes", id: 2 }, traceState: { type: "string", id: 3 }, attributes: { rule: "repeated", type: "KeyValue", id: 4 } } },
    Span: {
      fields: {
        traceId: { type: "bytes", id: 1 },
        spanId: { type: "bytes", id: 2 },
        traceState: { type: "string", id: 3 },
        parentSpanId: { type: "bytes", id: 4 },
        name: { type: "string", id: 5 },
        kind: { type: "int32", id: 6 },
        startTimeUnixNano: { type: "fixed64", id: 7 },
        endTimeUnixNano: { type: "fixed64", id: 8 },
        attributes: { rule: "repeated", type: "KeyValue", id: 9 },
        events: { rule: "repeated", type: "Event", id: 11 },
        links: { rule: "repeated", type: "Link", id: 13 },
        status: { type: "Status", id: 15 },
      },
    },
    ScopeSpans: { fields: { scope: { type: "InstrumentationScope", id: 1 }, spans: { rule: "repeated", type: "Span", id: 2 } } },
    ResourceSpans: { fields: { resource: { type: "Resource", id: 1 }, scopeSpans: { rule: "repeated", type: "ScopeSpans", id: 2 } } },
    ExportTraceServiceRequest: { fields: { resourceSpans: { rule: "repeated", type: "ResourceSpans", id: 1 } } },
  },
});
const REQUEST = OTLP.lookupType("ExportTraceServiceRequest");

/** The request as plain JSON in OTLP/JSON's shape (ids as hex, 64-bit integers as strings). */
interface OtlpJson {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
}
interface KeyValue {
  key: string;
  value?: Record<string, unknown>;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: KeyValue[];
  events?: Array<{ name: string }>;
  links?: Array<{ traceId: string; spanId: string }>;
  status?: { code?: number; message?: string };
}

function decode(received: ReceivedExport): OtlpJson {
  if (received.contentType.includes("json")) return JSON.parse(received.body.toString("utf8")) as OtlpJson;
  const message = REQUEST.decode(received.body);
  // protobufjs gives bytes as base64 in toObject; OTLP/JSON uses hex for ids: convert those.
  const plain = REQUEST.toObject(message, { longs: String, bytes: String, defaults: false }) as OtlpJson;
  const hex = (base64: string | undefined): string => Buffer.from(base64 ?? "", "base64").toString("hex");
  for (const resource of plain.resourceSpans ?? []) {
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        span.traceId = hex(span.traceId);
        span.spanId = hex(span.spanId);
        span.parentSpanId = hex(span.parentSpanId);
        for (const link of span.links ?? []) {
          link.traceId = hex(link.traceId);
          link.spanId = hex(link.spanId);
        }
      }
    }
  }
  return plain;
}

function valueOf(value: Record<string, unknown> | undefined): unknown {
  if (value === undefined) return undefined;
  if ("stringValue" in value) return value.stringValue;
  if ("boolValue" in value) return value.boolValue;
  if ("intValue" in value) return Number(value.intValue);
  if ("doubleValue" in value) return value.doubleValue;
  return JSON.stringify(value);
}

function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));
}

function toRecord(span: OtlpSpan): SpanRecord {
  return {
    name: span.name,
    kind: span.kind ?? 0,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId === undefined || span.parentSpanId === "" ? null : span.parentSpanId,
    attributes: attributesOf(span.attributes),
    links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
    status: { code: span.status?.code ?? 0, message: span.status?.message ?? "" },
    events: (span.events ?? []).map((event) => event.name),
  };
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const exports: ReceivedExport[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const contentType = req.headers["content-type"] ?? "";
      if (req.method === "POST" && req.url === "/v1/traces") exports.push({ contentType, headers: req.headers, body: Buffer.concat(chunks) });
      // An empty ExportTraceServiceResponse: full success.
      const json = contentType.includes("json");
      res.writeHead(req.url === "/v1/traces" ? 200 : 404, { "content-type": json ? "application/json" : "application/x-protobuf" });
      res.end(json ? "{}" : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const spans = (): SpanRecord[] =>
    exports.flatMap((received) => (decode(received).resourceSpans ?? []).flatMap((r) => (r.scopeSpans ?? []).flatMap((s) => (s.spans ?? []).map(toRecord))));
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    spans,
    resources: () => exports.flatMap((received) => (decode(received).resourceSpans ?? []).map((r) => attributesOf(r.resource?.attributes))),
    async waitFor(done, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = spans();
        if (done(now)) return now;
        if (Date.now() > deadline) throw new Error(`the receiver never got the spans; it has ${now.length}: ${now.map((s) => s.name).join(", ")}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
