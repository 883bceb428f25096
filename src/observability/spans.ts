/**
 * The gateway's own spans, over `@opentelemetry/api` only (design.md "Tracing: OpenTelemetry").
 * Every layer may use this file; none needs the SDK. Tracing is on only after
 * observability/tracing.ts started the SDK: until then `tracingActive()` is false and every
 * helper here runs its work directly, so a gateway without an OTLP endpoint does no tracing work
 * at all, not even no-op spans.
 *
 * What goes into a span is chosen here and in the few callers, by name: ids, counts, codes and
 * host names. Never a document, variables, headers, URLs with their query, or a message text.
 */
import { context, createContextKey, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type SpanContext, type SpanOptions, type Tracer } from "@opentelemetry/api";

export { SpanKind, type Attributes, type Span, type SpanContext, type SpanOptions } from "@opentelemetry/api";

const TRACER_NAME = "cdn-export-gateway";
let active = false;
let tracer: Tracer | null = null;

/** Set by the SDK set-up (observability/tracing.ts) when it starts and stops. */
export function setTracingActive(on: boolean): void {
  active = on;
  tracer = on ? trace.getTracer(TRACER_NAME) : null;
}

export function tracingActive(): boolean {
  return active;
}

/**
 * Runs `work` inside a new active span (its children see it as their parent) and ends the span
 * when the work settles. A failure sets `error.type` (a code, never the message) and status ERROR;
 * the error itself goes on unchanged. Without tracing, `work` runs with no span.
 */
export function withSpan<T>(name: string, options: SpanOptions, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (tracer === null) return work(undefined);
  // `root: true` starts a new trace (work that serves many requests, e.g. a live poll).
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span started by hand (hooks that start and end in different callbacks). */
export interface OpenSpan {
  span: Span;
  /** Runs `work` with this span as the current one (its children's parent). */
  run<T>(work: () => T): T;
  /** Ends the span; later calls do nothing. */
  end(): void;
}

/** Starts a span under the current one; null without tracing. The caller ends it. */
export function openSpan(name: string, options: SpanOptions): OpenSpan | null {
  if (tracer === null) return null;
  const span = tracer.startSpan(name, options);
  const inside = trace.setSpan(context.active(), span);
  let ended = false;
  const end = (): void => {
    if (!ended) span.end();
    ended = true;
  };
  return { span, run: (work) => context.with(inside, work), end };
}

/** `error.type` and status ERROR from a failure's code; the message (maybe upstream text) stays out. */
export function markFailed(span: Span, error: unknown, errorType = errorTypeOf(error)): void {
  span.setAttribute("error.type", errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
}

/**
 * A failure's type as `error.type` wants it: the upstream's own code when it sent one
 * (`Throttling.User`), else the gateway's code (`UPSTREAM_TIMEOUT`), else the error's class name.
 */
export function errorTypeOf(error: unknown): string {
  if (typeof error !== "object" || error === null) return "_OTHER";
  const fields = error as { upstreamCode?: unknown; code?: unknown; name?: unknown };
  if (typeof fields.upstreamCode === "string" && fields.upstreamCode !== "") return fields.upstreamCode;
  if (typeof fields.code === "string" && fields.code !== "") return fields.code;
  return typeof fields.name === "string" && fields.name !== "" ? fields.name : "_OTHER";
}

/** The current span's context, to link later work to this request (null without tracing). */
export function currentSpanContext(): SpanContext | null {
  if (!active) return null;
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext !== undefined && trace.isSpanContextValid(spanContext) ? spanContext : null;
}

/** A span context as a W3C `traceparent` value (`00-<traceId>-<spanId>-<flags>`), to hand to another process. */
export function traceparentOf(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-${(spanContext.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The span context another process wrote with `traceparentOf`, marked remote; null for anything
 * else (another version, upper case, all-zero ids), so a stray value never becomes a link.
 */
export function spanContextFromTraceparent(value: string): SpanContext | null {
  if (!TRACEPARENT.test(value)) return null;
  const spanContext: SpanContext = {
    traceId: value.slice(3, 35),
    spanId: value.slice(36, 52),
    traceFlags: Number.parseInt(value.slice(53), 16),
    isRemote: true,
  };
  return trace.isSpanContextValid(spanContext) ? spanContext : null;
}

/** For pino's `mixin`: `traceId` and `spanId` of the span a line is written in. */
export function traceLogFields(): { traceId?: string; spanId?: string } {
  const spanContext = currentSpanContext();
  return spanContext === null ? {} : { traceId: spanContext.traceId, spanId: spanContext.spanId };
}

/** A log mixin that adds `traceId`/`spanId` to `base`'s fields while tracing is on. */
export function withTraceLogFields(base?: () => Record<string, unknown>): (() => Record<string, unknown>) | undefined {
  if (!active) return base;
  return base === undefined ? traceLogFields : () => ({ ...base(), ...traceLogFields() });
}

// ---- time spent waiting for a quota slot, summed over the upstream calls of one page read ----

/** What a page read's upstream calls waited for quota slots, in total. */
export interface QuotaWaitMeter {
  waitedMs: number;
}

const QUOTA_WAIT = createContextKey("cdn-export-gateway quota wait");

function isMeter(value: unknown): value is QuotaWaitMeter {
  return typeof value === "object" && value !== null && "waitedMs" in value;
}

/** Runs `work` so that the quota waits of the upstream calls it makes add up in `meter`. */
export function measuringQuotaWait<T>(meter: QuotaWaitMeter, work: () => T): T {
  if (!active) return work();
  return context.with(context.active().setValue(QUOTA_WAIT, meter), work);
}

/** Called by the upstream client after each quota slot: adds to the enclosing meter, if any. */
export function recordQuotaWait(waitedMs: number): void {
  if (!active) return;
  const meter = context.active().getValue(QUOTA_WAIT);
  if (isMeter(meter)) meter.waitedMs += waitedMs;
}

// ---- export files (src/exports): download and parse ----

export type ExportStep = "export.fetch" | "export.parse";

export interface ExportSpanFacts {
  kind?: string;
  taskId?: string;
  /** The download URL: only its host is recorded (the rest is a signature). */
  downloadUrl?: string | URL;
  /** Or the storage host alone, when that is all the caller kept. */
  host?: string | null;
}

/** What an export step may add to its span: sizes, counts and the storage's answer status. */
export interface ExportSpan {
  set(name: "export.bytes" | "export.rows" | "export.sheets" | "http.response.status_code", value: number): void;
  /** `hit` when the parsed file came from the cache (memory or Redis), `miss` when it was read. */
  setCache(state: "hit" | "miss" | "shared"): void;
}

const NO_EXPORT_SPAN: ExportSpan = { set: () => undefined, setCache: () => undefined };

/**
 * One export file download (`export.fetch`) or parse (`export.parse`) as a span under the
 * current one, e.g. `traceExport("export.fetch", { kind, taskId, downloadUrl }, async (span) => { …; span.set("export.bytes", n); })`.
 * A failure is recorded by its code and rethrown.
 */
export function traceExport<T>(step: ExportStep, facts: ExportSpanFacts, work: (span: ExportSpan) => Promise<T>): Promise<T> {
  if (!active) return work(NO_EXPORT_SPAN);
  const attributes: Attributes = {};
  if (facts.kind !== undefined) attributes["cdn.export_kind"] = facts.kind;
  if (facts.taskId !== undefined) attributes["cdn.task_id"] = facts.taskId;
  const host = facts.host ?? hostOf(facts.downloadUrl);
  if (host !== null) attributes["server.address"] = host;
  return withSpan(step, { kind: step === "export.fetch" ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes }, (span) =>
    work(
      span === undefined
        ? NO_EXPORT_SPAN
        : { set: (name, value) => span.setAttribute(name, value), setCache: (state) => span.setAttribute("export.cache", state) },
    ),
  );
}

function hostOf(url: string | URL | undefined): string | null {
  if (url === undefined) return null;
  if (url instanceof URL) return url.hostname;
  return URL.canParse(url) ? new URL(url).hostname : null;
}
