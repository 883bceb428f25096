/**
 * The OpenTelemetry SDK, started only when config-tracing.ts found an OTLP endpoint: main.ts
 * imports this file (and so the SDK) then, and only then, before it loads the rest of the
 * gateway. What it sets up:
 * - a tracer provider with the configured sampler, a batch span processor and the OTLP/HTTP
 *   exporter for the configured protocol (protobuf or JSON); the exporter itself honours the other
 *   OTEL_EXPORTER_OTLP_* variables (timeout, compression, certificates) and the processor OTEL_BSP_*;
 * - the W3C `traceparent` propagator and the AsyncLocalStorage context manager;
 * - `@opentelemetry/instrumentation-http` for the SERVER span of each request to the gateway's
 *   routes, continuing the caller's `traceparent` (spans.ts and the yoga plugin add the rest).
 */
import { createRequire } from "node:module";
import { context, diag, DiagLogLevel, propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { Logger } from "./logger.js";
import { setTracingActive } from "./spans.js";
import type { TracingSettings } from "./tracing-settings.js";

export type { TracingSettings } from "./tracing-settings.js";

export interface Tracing {
  /**
   * The SDK's own complaints (an export the collector refused or never got) go to the gateway's
   * log from now on, as warnings: a collector outage costs traces, not answers.
   */
  logTo(logger: Pick<Logger, "warn">): void;
  /** Exports every finished span now. */
  forceFlush(): Promise<void>;
  /** Exports what is left, then stops tracing and unregisters everything it registered. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Tests: e.g. an in-memory exporter behind a SimpleSpanProcessor, instead of OTLP. */
  spanProcessor?: SpanProcessor;
}

/** The gateway's own HTTP routes: each request to one gets a SERVER span named `<METHOD> <route>`. */
const ROUTES: ReadonlyArray<{ route: string; matches: (path: string) => boolean }> = [
  { route: "/graphql", matches: (path) => path === "/graphql" },
  { route: "/exports/usage-detail/{taskId}.csv", matches: (path) => /^\/exports\/usage-detail\/[^/]+\.csv$/.test(path) },
];

/**
 * Probes (/health, /ready), other listeners in the process (metrics, the embedded emulator) and
 * unknown paths get no span: a span per probe would drown the traces that matter.
 */
export function routeOf(url: string | undefined): string | undefined {
  const path = (url ?? "/").split(/[?#]/, 1)[0] ?? "/";
  return ROUTES.find((entry) => entry.matches(path))?.route;
}

export async function startTracing(settings: TracingSettings, options: TracingOptions = {}): Promise<Tracing> {
  const spanProcessor = options.spanProcessor ?? new BatchSpanProcessor(await otlpExporter(settings));
  const provider = new NodeTracerProvider({
    // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME (envDetector) win over the default name.
    resource: defaultResource()
      .merge(resourceFromAttributes({ "service.name": settings.serviceName }))
      .merge(detectResources({ detectors: [envDetector] })),
    sampler: sampler(settings),
    spanProcessors: [spanProcessor],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });

  const http = new HttpInstrumentation({
    // Upstream calls go through undici and get the gateway's own `cdn <Action>` spans.
    disableOutgoingRequestInstrumentation: true,
    ignoreIncomingRequestHook: (request) => routeOf(request.url) === undefined,
    // The query string of GET /graphql holds the document and variables: never recorded.
    startIncomingSpanHook: (request) => ({ "http.route": routeOf(request.url), "url.query": undefined }),
    applyCustomAttributesOnSpan: (span, request) => {
      const route = "url" in request ? routeOf(request.url) : undefined;
      if (route !== undefined) span.updateName(`${request.method ?? "GET"} ${route}`);
    },
  });
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations: [http] });
  // The gateway imports node:http as an ES module, which the require hook never sees; requiring
  // it once here lets the instrumentation patch http.Server.prototype, shared by both forms.
  createRequire(import.meta.url)("node:http");
  setTracingActive(true);

  return {
    logTo(logger) {
      diag.setLogger(
        {
          error: (message) => logger.warn({ source: "opentelemetry" }, message),
          warn: (message) => logger.warn({ source: "opentelemetry" }, message),
          info: () => undefined,
          debug: () => undefined,
          verbose: () => undefined,
        },
        { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
      );
    },
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      setTracingActive(false);
      unregister();
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
        diag.disable();
      }
    },
  };
}

/** Only the chosen protocol's exporter is loaded. */
async function otlpExporter(settings: TracingSettings): Promise<SpanExporter> {
  const config = { url: settings.endpoint, headers: settings.headers() };
  if (settings.protocol === "http/json") {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    return new OTLPTraceExporter(config);
  }
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
  return new OTLPTraceExporter(config);
}

function sampler(settings: TracingSettings): Sampler {
  const ratio = (): Sampler => new TraceIdRatioBasedSampler(settings.samplerRatio);
  switch (settings.sampler) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return ratio();
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio() });
  }
}
