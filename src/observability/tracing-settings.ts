/** What the SDK set-up (tracing.ts) needs, as config-tracing.ts reads it from the OTEL_* variables. */

export const TRACES_SAMPLERS = [
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
  "always_on",
  "always_off",
  "traceidratio",
] as const;

export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

export interface TracingSettings {
  /** `OTEL_SERVICE_NAME`, default `cdn-export-gateway`. */
  serviceName: string;
  /** Where spans are POSTed: the traces URL itself (`…/v1/traces`). */
  endpoint: string;
  protocol: "http/protobuf" | "http/json";
  /** `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS`: secrets (collector keys), hence a function. */
  headers: () => Record<string, string>;
  sampler: TracesSampler;
  /** `OTEL_TRACES_SAMPLER_ARG` for the ratio samplers; default 1. */
  samplerRatio: number;
}
