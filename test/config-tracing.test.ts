/**
 * Tracing's configuration is OpenTelemetry's own variables (design.md "Tracing:
 * OpenTelemetry"): on with an OTLP endpoint, off otherwise or when disabled; the spec's endpoint
 * rule; protocol, headers, service name and sampler; bad values name the variable, never the value.
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { configSecrets, loadConfig } from "../src/config.js";
import { configError } from "./helpers/config-error.js";

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector.internal:4318" };

describe("tracing on or off", () => {
  it("is off without an OTLP endpoint", () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(loadConfig({ OTEL_SERVICE_NAME: "x", OTEL_TRACES_SAMPLER: "always_on" }).tracing).toBeNull();
  });

  it("is off with OTEL_SDK_DISABLED=true (any case) or OTEL_TRACES_EXPORTER=none, even with an endpoint", () => {
    expect(loadConfig({ ...ENDPOINT, OTEL_SDK_DISABLED: "true" }).tracing).toBeNull();
    expect(loadConfig({ ...ENDPOINT, OTEL_SDK_DISABLED: "TRUE" }).tracing).toBeNull();
    expect(loadConfig({ ...ENDPOINT, OTEL_TRACES_EXPORTER: "none" }).tracing).toBeNull();
    // Only "true" disables (the spec's boolean rule).
    expect(loadConfig({ ...ENDPOINT, OTEL_SDK_DISABLED: "false" }).tracing).not.toBeNull();
  });

  it("with an endpoint: the defaults (cdn-export-gateway, http/protobuf, parentbased_always_on)", () => {
    const tracing = loadConfig(ENDPOINT).tracing;
    expect(tracing).toMatchObject({
      serviceName: "cdn-export-gateway",
      endpoint: "http://collector.internal:4318/v1/traces",
      protocol: "http/protobuf",
      sampler: "parentbased_always_on",
      samplerRatio: 1,
    });
    expect(tracing?.headers()).toEqual({});
  });
});

describe("the standard variables", () => {
  it("the general endpoint gets /v1/traces; the traces endpoint is used as given and wins", () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com/base/" }).tracing?.endpoint).toBe("https://otel.example.com/base/v1/traces");
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://otel.example.com/custom" }).tracing?.endpoint).toBe("https://otel.example.com/custom");
    expect(loadConfig({ ...ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://other:4318/t" }).tracing?.endpoint).toBe("http://other:4318/t");
  });

  it("protocol: http/json, the traces-specific variable winning; gRPC is refused by name", () => {
    expect(loadConfig({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }).tracing?.protocol).toBe("http/json");
    expect(loadConfig({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" }).tracing?.protocol).toBe("http/protobuf");
    const error = configError({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" });
    expect(error.variable).toBe("OTEL_EXPORTER_OTLP_PROTOCOL");
    expect(error.message).toContain("http/protobuf, http/json");
  });

  it("headers: name=value pairs, percent-decoded, traces-specific ones winning; held as secrets", () => {
    const config = loadConfig({
      ...ENDPOINT,
      OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20key-1, x-tenant=a",
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-tenant=b",
    });
    expect(config.tracing?.headers()).toEqual({ authorization: "Bearer key-1", "x-tenant": "b" });
    expect(configSecrets(config)).toEqual(expect.arrayContaining(["Bearer key-1", "b"]));
    // Printing the config shows no header value.
    expect(inspect(config, { depth: 10 })).not.toContain("key-1");
    expect(JSON.stringify(config)).not.toContain("key-1");
    const error = configError({ ...ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer secret-value,broken" });
    expect(error.variable).toBe("OTEL_EXPORTER_OTLP_HEADERS");
    expect(error.message).toContain("entry 2");
    expect(error.message).not.toContain("secret-value");
  });

  it("service name and sampler", () => {
    const tracing = loadConfig({ ...ENDPOINT, OTEL_SERVICE_NAME: "exports-eu", OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25" }).tracing;
    expect(tracing).toMatchObject({ serviceName: "exports-eu", sampler: "parentbased_traceidratio", samplerRatio: 0.25 });
    expect(configError({ ...ENDPOINT, OTEL_TRACES_SAMPLER: "jaeger_remote" }).variable).toBe("OTEL_TRACES_SAMPLER");
    expect(configError({ ...ENDPOINT, OTEL_TRACES_SAMPLER_ARG: "2" }).variable).toBe("OTEL_TRACES_SAMPLER_ARG");
  });

  it("an endpoint with a user or password is refused (URLs end up in logs)", () => {
    const error = configError({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://user:pw@otel.example.com" });
    expect(error.variable).toBe("OTEL_EXPORTER_OTLP_ENDPOINT");
    expect(error.message).not.toContain("pw");
  });
});
