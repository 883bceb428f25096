/** The export-reading variables of src/config.ts (design.md "Export contents"): defaults and rules. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("loadConfig: exports", () => {
  it("defaults", () => {
    expect(loadConfig({}).exports).toEqual({ maxFileBytes: 268_435_456, fetchTimeoutMs: 120_000, fileTimeZone: "Asia/Shanghai", cacheBytes: 134_217_728, sharedTtlMs: 3_600_000 });
  });

  it("set", () => {
    const config = loadConfig({ EXPORT_MAX_FILE_BYTES: "1048576", EXPORT_FETCH_TIMEOUT_MS: "5000", EXPORT_FILE_TIME_ZONE: "UTC", EXPORT_CACHE_BYTES: "0", EXPORT_SHARED_TTL_MS: "60000" });
    expect(config.exports).toEqual({ maxFileBytes: 1_048_576, fetchTimeoutMs: 5000, fileTimeZone: "UTC", cacheBytes: 0, sharedTtlMs: 60_000 });
  });

  it.each([
    ["EXPORT_MAX_FILE_BYTES", "12"],
    ["EXPORT_FETCH_TIMEOUT_MS", "-1"],
    ["EXPORT_FILE_TIME_ZONE", "Mars/Olympus"],
    ["EXPORT_CACHE_BYTES", "lots"],
    ["EXPORT_SHARED_TTL_MS", "10"],
  ])("%s=%s is refused, naming the variable", (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
  });
});
