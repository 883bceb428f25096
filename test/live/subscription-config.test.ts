/** SUBSCRIPTION_POLL_MIN_MS / SUBSCRIPTION_POLL_MAX_MS: the backoff bounds of exportTaskUpdated polling. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("subscription polling configuration", () => {
  it("defaults to 1 s growing to 15 s", () => {
    expect(loadConfig({}).subscriptions).toEqual({ pollMinMs: 1_000, pollMaxMs: 15_000 });
  });

  it("takes both bounds from the environment", () => {
    expect(loadConfig({ SUBSCRIPTION_POLL_MIN_MS: "500", SUBSCRIPTION_POLL_MAX_MS: "5000" }).subscriptions).toEqual({ pollMinMs: 500, pollMaxMs: 5_000 });
  });

  it.each([
    [{ SUBSCRIPTION_POLL_MIN_MS: "10" }, "SUBSCRIPTION_POLL_MIN_MS"],
    [{ SUBSCRIPTION_POLL_MAX_MS: "soon" }, "SUBSCRIPTION_POLL_MAX_MS"],
    [{ SUBSCRIPTION_POLL_MIN_MS: "2000", SUBSCRIPTION_POLL_MAX_MS: "1000" }, "SUBSCRIPTION_POLL_MAX_MS"],
  ])("refuses %j naming %s", (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });
});
