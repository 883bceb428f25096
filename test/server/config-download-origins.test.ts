/** CDN_DOWNLOAD_ORIGINS: comma-separated origins, validated and normalised at start-up. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, type Env } from "../../src/config.js";

function configError(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("CDN_DOWNLOAD_ORIGINS", () => {
  it("is empty by default (and when blank)", () => {
    expect(loadConfig({}).upstream.downloadOrigins).toEqual([]);
    expect(loadConfig({ CDN_DOWNLOAD_ORIGINS: "  " }).upstream.downloadOrigins).toEqual([]);
  });

  it("reads comma-separated origins, normalised as browsers write them, each once", () => {
    const config = loadConfig({
      CDN_DOWNLOAD_ORIGINS: "http://127.0.0.1:4010, HTTPS://Files.Example.com:443/ ,,https://files.example.com,http://[::1]:8080",
    });
    expect(config.upstream.downloadOrigins).toEqual(["http://127.0.0.1:4010", "https://files.example.com", "http://[::1]:8080"]);
  });

  it.each([
    ["a path", "https://dl.example.net/exports"],
    ["a query", "https://dl.example.net?x=1"],
    ["an empty query", "https://dl.example.net/?"],
    ["a fragment", "https://dl.example.net#top"],
    ["user info", "https://user:pw@dl.example.net"],
    ["another scheme", "ftp://dl.example.net"],
    ["no scheme", "dl.example.net"],
    ["not a URL", "http://"],
  ])("refuses %s, naming the variable and the entry but not the value", (_name, bad) => {
    const error = configError({ CDN_DOWNLOAD_ORIGINS: `https://ok.example.com,${bad}` });
    expect(error.variable).toBe("CDN_DOWNLOAD_ORIGINS");
    expect(error.message).toMatch(/^Invalid configuration: CDN_DOWNLOAD_ORIGINS must be comma-separated origins/);
    expect(error.message).toContain("entry 2 is not one");
    expect(error.message).not.toContain(bad);
  });
});
