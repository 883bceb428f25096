/**
 * Tracing is configured by OpenTelemetry's own variables only (design.md "Tracing:
 * OpenTelemetry"): on when an OTLP endpoint is set, off with `OTEL_SDK_DISABLED=true` or
 * `OTEL_TRACES_EXPORTER=none`. The endpoint rule is the specification's: the signal's own
 * variable is used as given, the general one gets `/v1/traces` appended.
 */
import { z } from "zod";
import { envDefault, envEnum, envHttpUrl, envOptional, envRate, envText, parseEnv, type Env, type EnvParse } from "./config-env.js";
import { TRACES_SAMPLERS, type TracingSettings } from "./observability/tracing-settings.js";

const protocol = envEnum(["http/protobuf", "http/json"]);

/** `key=value` pairs separated by commas, values percent-decoded (W3C baggage format, as the spec says). */
const otlpHeaders = envText.transform((raw, ctx) => {
  const headers: Record<string, string> = {};
  const entries = raw
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const [index, entry] of entries.entries()) {
    const equals = entry.indexOf("=");
    const name = equals > 0 ? entry.slice(0, equals).trim().toLowerCase() : "";
    let value: string | null = null;
    try {
      value = decodeURIComponent(entry.slice(equals + 1).trim());
    } catch {
      value = null;
    }
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) || value === null) {
      ctx.addIssue(`must be comma-separated name=value pairs (values percent-encoded); entry ${index + 1} is not one`);
      return z.NEVER;
    }
    headers[name] = value;
  }
  return headers;
});

const otelEnv = z.object({
  OTEL_SDK_DISABLED: envOptional(envText),
  OTEL_TRACES_EXPORTER: envDefault(envEnum(["otlp", "none"]), "otlp"),
  OTEL_EXPORTER_OTLP_ENDPOINT: envOptional(envHttpUrl),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envOptional(envHttpUrl),
  OTEL_EXPORTER_OTLP_PROTOCOL: envOptional(protocol),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: envOptional(protocol),
  OTEL_EXPORTER_OTLP_HEADERS: envDefault(otlpHeaders, {}),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: envDefault(otlpHeaders, {}),
  OTEL_SERVICE_NAME: envDefault(envText, "cdn-export-gateway"),
  OTEL_TRACES_SAMPLER: envDefault(envEnum(TRACES_SAMPLERS), "parentbased_always_on"),
  OTEL_TRACES_SAMPLER_ARG: envOptional(envRate),
});

/** The tracing settings of `env`, or null when tracing is off. */
export function tracingFromEnv(env: Env): EnvParse<TracingSettings | null> {
  const parsed = parseEnv(otelEnv, env);
  if (!parsed.ok) return parsed;
  const vars = parsed.value;
  const endpoint = vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? signalUrl(vars.OTEL_EXPORTER_OTLP_ENDPOINT);
  const off = vars.OTEL_SDK_DISABLED?.toLowerCase() === "true" || vars.OTEL_TRACES_EXPORTER === "none" || endpoint === undefined;
  if (off) return { ok: true, value: null };
  // Header values are credentials (a collector's API key): kept behind a function, so printing the
  // config shows none of them.
  const headers = { ...vars.OTEL_EXPORTER_OTLP_HEADERS, ...vars.OTEL_EXPORTER_OTLP_TRACES_HEADERS };
  return {
    ok: true,
    value: {
      serviceName: vars.OTEL_SERVICE_NAME,
      endpoint,
      protocol: vars.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? vars.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf",
      headers: () => ({ ...headers }),
      sampler: vars.OTEL_TRACES_SAMPLER,
      samplerRatio: vars.OTEL_TRACES_SAMPLER_ARG ?? 1,
    },
  };
}

function signalUrl(base: string | undefined): string | undefined {
  if (base === undefined) return undefined;
  return `${base.replace(/\/+$/, "")}/v1/traces`;
}
