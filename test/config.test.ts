import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, configSecrets, loadConfig, type Env } from "../src/config.js";
import { configError } from "./helpers/config-error.js";

const CANARY = "canary-secret-Zq9vX2mP7rT4";
const REAL = { ALIBABA_CLOUD_ACCESS_KEY_ID: "LTAIexampleid", ALIBABA_CLOUD_ACCESS_KEY_SECRET: CANARY, GATEWAY_AUTH: "off" };

describe("loadConfig defaults", () => {
  it("with an empty environment: emulator mode, design.md defaults", () => {
    const config = loadConfig({});
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 4000 });
    expect(config.upstream).toMatchObject({
      mode: "emulator",
      credentials: null,
      endpoint: "https://cdn.aliyuncs.com",
      signatureVersion: "v3",
      timeoutMs: 5000,
      maxAttempts: 3,
      rateLimit: 90,
      quotaWaitMs: 5000,
      cacheTtlMs: 1000,
    });
    expect(config.redisUrl).toBeNull();
    expect(config.auth).toEqual({ mode: "off", apiKeys: [], jwt: null });
    expect(config.graphiql).toBe(true);
    expect(config.introspection).toBe(true);
    expect(config.corsOrigins).toBe("*");
    expect(config.logLevel).toBe("info");
    expect(config.emulator).toEqual({ port: 4010, accessKeyId: null, accessKeySecret: null, taskSeconds: 5 });
    expect(config.limits).toEqual({ maxAliases: 15, maxDepth: 10, maxTokens: 2000, maxDirectives: 50, maxCost: 5000, maxBodyBytes: 1_048_576 });
    expect(config.metrics).toEqual({ host: "127.0.0.1", port: 9464 });
  });

  it("with credentials: real mode, same-origin CORS, auth required unless off explicitly", () => {
    const config = loadConfig(REAL);
    expect(config.upstream.mode).toBe("real");
    expect(config.upstream.credentials?.accessKeyId).toBe("LTAIexampleid");
    expect(config.corsOrigins).toEqual([]);
    expect(config.auth.mode).toBe("off");
    const keyed = loadConfig({
      ...REAL,
      GATEWAY_AUTH: undefined,
      GATEWAY_API_KEYS: JSON.stringify([{ name: "dashboard", key: "k-0123456789abcdef", scopes: ["export:read"] }]),
    });
    expect(keyed.auth.mode).toBe("required");
    expect(keyed.auth.apiKeys[0]?.name).toBe("dashboard");
    expect(keyed.auth.apiKeys[0]?.key.reveal()).toBe("k-0123456789abcdef");
  });

  it("NODE_ENV=production turns GraphiQL and introspection off unless asked for", () => {
    const config = loadConfig({ NODE_ENV: "production", CDN_EMULATOR: "on" });
    expect(config.graphiql).toBe(false);
    expect(config.introspection).toBe(false);
    expect(loadConfig({ NODE_ENV: "production", CDN_EMULATOR: "on", GRAPHIQL: "on", INTROSPECTION: "true" })).toMatchObject({ graphiql: true, introspection: true });
  });

  it("NODE_ENV=production without credentials refuses to start, naming the variables, unless CDN_EMULATOR=on", () => {
    const refusal = (): unknown => loadConfig({ NODE_ENV: "production" });
    expect(refusal).toThrow(ConfigError);
    expect(refusal).toThrow(/ALIBABA_CLOUD_ACCESS_KEY_ID.*ALIBABA_CLOUD_ACCESS_KEY_SECRET.*CDN_EMULATOR=on/);
    expect(loadConfig({ NODE_ENV: "production", CDN_EMULATOR: "on" }).upstream.mode).toBe("emulator");
    expect(() => loadConfig({ CDN_EMULATOR: "off" })).toThrow(/ALIBABA_CLOUD_ACCESS_KEY_ID.*CDN_EMULATOR=off/);
    const keys = { ALIBABA_CLOUD_ACCESS_KEY_ID: "LTAIexample", ALIBABA_CLOUD_ACCESS_KEY_SECRET: "s3cret-value", GATEWAY_AUTH: "off" };
    expect(() => loadConfig({ ...keys, CDN_EMULATOR: "on" })).toThrow(/CDN_EMULATOR is on/);
    expect(loadConfig({ ...keys, NODE_ENV: "production" }).upstream.mode).toBe("real");
  });

  it("reads every knob", () => {
    const config = loadConfig({
      PORT: "0",
      HOST: "0.0.0.0",
      CDN_ENDPOINT: "http://127.0.0.1:4010/",
      CDN_SIGNATURE_VERSION: "v1",
      CDN_TIMEOUT_MS: "250",
      CDN_MAX_ATTEMPTS: "5",
      CDN_RATE_LIMIT: "20",
      CDN_CACHE_TTL_MS: "0",
      REDIS_URL: "redis://127.0.0.1:6379",
      GATEWAY_JWKS_URL: "https://issuer.example/.well-known/jwks.json",
      GATEWAY_JWT_ISSUER: "https://issuer.example/",
      GATEWAY_JWT_AUDIENCE: "cdn-export",
      CORS_ORIGINS: "https://a.example, https://b.example:8443",
      LOG_LEVEL: "debug",
      EMULATOR_PORT: "4999",
      EMULATOR_ACCESS_KEY_ID: "emu-id",
      EMULATOR_ACCESS_KEY_SECRET: "emu-secret-value",
      EMULATOR_TASK_SECONDS: "1",
      MAX_ALIASES: "3",
      MAX_BODY_BYTES: "2048",
      METRICS_PORT: "0",
      CDN_QUOTA_WAIT_MS: "750",
    });
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 0 });
    expect(config.upstream).toMatchObject({ endpoint: "http://127.0.0.1:4010", signatureVersion: "v1", timeoutMs: 250, maxAttempts: 5, rateLimit: 20, quotaWaitMs: 750, cacheTtlMs: 0 });
    expect(config.redisUrl?.reveal()).toBe("redis://127.0.0.1:6379");
    expect(config.auth.mode).toBe("required");
    expect(config.auth.jwt).toEqual({ jwksUrl: "https://issuer.example/.well-known/jwks.json", issuer: "https://issuer.example/", audience: "cdn-export" });
    expect(config.corsOrigins).toEqual(["https://a.example", "https://b.example:8443"]);
    expect(config.logLevel).toBe("debug");
    expect(config.emulator.port).toBe(4999);
    expect(config.emulator.accessKeySecret?.reveal()).toBe("emu-secret-value");
    expect(config.limits.maxAliases).toBe(3);
    expect(config.limits.maxBodyBytes).toBe(2048);
    expect(config.metrics).toBeNull();
  });
});

describe("bad configuration names the variable", () => {
  const cases: Array<[Env, string]> = [
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ HOST: "bad host" }, "HOST"],
    [{ CDN_ENDPOINT: "not a url" }, "CDN_ENDPOINT"],
    [{ CDN_ENDPOINT: "ftp://x.example" }, "CDN_ENDPOINT"],
    [{ CDN_SIGNATURE_VERSION: "v2" }, "CDN_SIGNATURE_VERSION"],
    [{ CDN_TIMEOUT_MS: "-1" }, "CDN_TIMEOUT_MS"],
    [{ CDN_MAX_ATTEMPTS: "0" }, "CDN_MAX_ATTEMPTS"],
    [{ CDN_RATE_LIMIT: "1.5" }, "CDN_RATE_LIMIT"],
    [{ CDN_CACHE_TTL_MS: "soon" }, "CDN_CACHE_TTL_MS"],
    [{ REDIS_URL: "http://127.0.0.1:6379" }, "REDIS_URL"],
    [{ GATEWAY_API_KEYS: "dashboard:key" }, "GATEWAY_API_KEYS"],
    [{ GATEWAY_API_KEYS: '[{"name":"a","key":"x","scopes":["export:everything"]}]' }, "GATEWAY_API_KEYS"],
    [{ GATEWAY_API_KEYS: '[{"name":"a","key":"x1","scopes":["export:read"]},{"name":"a","key":"x2","scopes":["export:read"]}]' }, "GATEWAY_API_KEYS"],
    [{ GATEWAY_JWKS_URL: "jwks" }, "GATEWAY_JWKS_URL"],
    [{ GATEWAY_JWT_ISSUER: "https://issuer.example/" }, "GATEWAY_JWT_ISSUER"],
    [{ GATEWAY_AUTH: "maybe" }, "GATEWAY_AUTH"],
    [{ GATEWAY_AUTH: "required" }, "GATEWAY_AUTH"],
    [{ GRAPHIQL: "sometimes" }, "GRAPHIQL"],
    [{ INTROSPECTION: "2" }, "INTROSPECTION"],
    [{ CORS_ORIGINS: "https://a.example/path" }, "CORS_ORIGINS"],
    [{ CORS_ORIGINS: "a.example" }, "CORS_ORIGINS"],
    [{ LOG_LEVEL: "verbose" }, "LOG_LEVEL"],
    [{ EMULATOR_PORT: "x" }, "EMULATOR_PORT"],
    [{ EMULATOR_ACCESS_KEY_ID: "only-id" }, "EMULATOR_ACCESS_KEY_SECRET"],
    [{ EMULATOR_TASK_SECONDS: "-3" }, "EMULATOR_TASK_SECONDS"],
    [{ MAX_DEPTH: "0" }, "MAX_DEPTH"],
    [{ MAX_BODY_BYTES: "1" }, "MAX_BODY_BYTES"],
    [{ METRICS_PORT: "-1" }, "METRICS_PORT"],
    [{ ALIBABA_CLOUD_ACCESS_KEY_ID: "LTAIexampleid" }, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
    [{ ALIBABA_CLOUD_ACCESS_KEY_SECRET: CANARY }, "ALIBABA_CLOUD_ACCESS_KEY_ID"],
    [{ ALIBABA_CLOUD_SECURITY_TOKEN: CANARY }, "ALIBABA_CLOUD_SECURITY_TOKEN"],
  ];
  it.each(cases)("%j → %s", (env, variable) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message.split("\n")).toHaveLength(1);
  });

  it("refuses the real upstream without auth unless GATEWAY_AUTH=off is explicit", () => {
    const error = configError({ ...REAL, GATEWAY_AUTH: undefined });
    expect(error.variable).toBe("GATEWAY_AUTH");
    expect(error.message).toMatch(/GATEWAY_API_KEYS|GATEWAY_JWKS_URL/);
  });

  it("never echoes a secret value in the message", () => {
    const secretish = [
      { ...REAL, GATEWAY_AUTH: undefined },
      { ALIBABA_CLOUD_ACCESS_KEY_SECRET: CANARY },
      { ALIBABA_CLOUD_SECURITY_TOKEN: CANARY },
      { GATEWAY_API_KEYS: `[{"name":"a","key":"${CANARY}","scopes":["nope"]}]` },
      { GATEWAY_API_KEYS: `{"key":"${CANARY}"` },
      { GATEWAY_API_KEYS: `[{"name":"a","key":"${CANARY}","scopes":["export:read"]},{"name":"b","key":"${CANARY}","scopes":["export:read"]}]` },
      { ...REAL, CDN_ENDPOINT: `https://user:${CANARY}@cdn.example` },
      { REDIS_URL: `http://:${CANARY}@127.0.0.1` },
    ];
    for (const env of secretish) {
      const error = configError(env);
      expect(error.message).not.toContain(CANARY);
      expect(inspect(error)).not.toContain(CANARY);
    }
  });
});

describe("secrets in the config object", () => {
  it("print redacted through JSON and inspect, and are listed for the log scrubber", () => {
    const config = loadConfig({
      ...REAL,
      ALIBABA_CLOUD_SECURITY_TOKEN: `${CANARY}-token`,
      GATEWAY_API_KEYS: JSON.stringify([{ name: "dashboard", key: `${CANARY}-key`, scopes: ["export:read"] }]),
      EMULATOR_ACCESS_KEY_ID: "emu",
      EMULATOR_ACCESS_KEY_SECRET: `${CANARY}-emu`,
      REDIS_URL: `redis://:${CANARY}-redis@127.0.0.1:6379`,
    });
    expect(JSON.stringify(config)).not.toContain(CANARY);
    expect(inspect(config, { depth: 10 })).not.toContain(CANARY);
    expect(configSecrets(config)).toEqual(
      expect.arrayContaining([CANARY, `${CANARY}-token`, `${CANARY}-key`, `${CANARY}-emu`, `${CANARY}-redis`]),
    );
  });
});

// CDN_DOWNLOAD_ORIGINS: comma-separated origins, validated and normalised at start-up.
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

// Where the shared state lives: REDIS_URL, REDIS_SENTINELS (+ REDIS_SENTINEL_NAME) or REDIS_CLUSTER_NODES.
describe("Redis: one Redis, Sentinel or Cluster", () => {
  it("without any: in-process state", () => {
    const config = loadConfig({});
    expect(config.redis).toBeNull();
    expect(config.redisUrl).toBeNull();
  });

  it("REDIS_URL: one Redis", () => {
    const config = loadConfig({ REDIS_URL: "redis://127.0.0.1:6379/2" });
    expect(config.redis?.mode).toBe("standalone");
    expect(config.redis?.mode === "standalone" ? config.redis.url.reveal() : null).toBe("redis://127.0.0.1:6379/2");
  });

  it("REDIS_SENTINELS: the sentinels, deduplicated, and the primary's name (default mymaster)", () => {
    const config = loadConfig({ REDIS_SENTINELS: " 10.0.0.1:26379, sentinel-b.internal:26380,[::1]:26381,10.0.0.1:26379 " });
    expect(config.redis).toEqual({
      mode: "sentinel",
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "sentinel-b.internal", port: 26380 },
        { host: "::1", port: 26381 },
      ],
      name: "mymaster",
      username: null,
      password: null,
    });
    expect(config.redisUrl).toBeNull();
    const named = loadConfig({ REDIS_SENTINELS: "127.0.0.1:26379", REDIS_SENTINEL_NAME: "gateway-primary" });
    expect(named.redis?.mode === "sentinel" ? named.redis.name : null).toBe("gateway-primary");
  });

  it("REDIS_CLUSTER_NODES: the seed nodes, with REDIS_USERNAME/REDIS_PASSWORD held as secrets", () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: "127.0.0.1:7000,127.0.0.1:7001", REDIS_USERNAME: "gateway", REDIS_PASSWORD: `${CANARY}-cluster` });
    expect(config.redis?.mode).toBe("cluster");
    if (config.redis?.mode !== "cluster") return;
    expect(config.redis.nodes).toEqual([
      { host: "127.0.0.1", port: 7000 },
      { host: "127.0.0.1", port: 7001 },
    ]);
    expect(config.redis.username).toBe("gateway");
    expect(config.redis.password?.reveal()).toBe(`${CANARY}-cluster`);
    expect(JSON.stringify(config)).not.toContain(CANARY);
    expect(configSecrets(config)).toContain(`${CANARY}-cluster`);
  });

  it.each<[string, Env, string, RegExp]>([
    ["REDIS_URL with REDIS_SENTINELS", { REDIS_URL: "redis://127.0.0.1:6379", REDIS_SENTINELS: "127.0.0.1:26379" }, "REDIS_SENTINELS", /set together with REDIS_URL: choose one/],
    ["REDIS_URL with REDIS_CLUSTER_NODES", { REDIS_URL: "redis://127.0.0.1:6379", REDIS_CLUSTER_NODES: "127.0.0.1:7000" }, "REDIS_CLUSTER_NODES", /set together with REDIS_URL/],
    ["Sentinel with Cluster", { REDIS_SENTINELS: "127.0.0.1:26379", REDIS_CLUSTER_NODES: "127.0.0.1:7000" }, "REDIS_CLUSTER_NODES", /set together with REDIS_SENTINELS/],
    ["a sentinel name without sentinels", { REDIS_SENTINEL_NAME: "mymaster" }, "REDIS_SENTINEL_NAME", /without REDIS_SENTINELS/],
    ["a sentinel name with REDIS_URL", { REDIS_URL: "redis://127.0.0.1:6379", REDIS_SENTINEL_NAME: "mymaster" }, "REDIS_SENTINEL_NAME", /without REDIS_SENTINELS/],
    ["a password with REDIS_URL", { REDIS_URL: "redis://127.0.0.1:6379", REDIS_PASSWORD: CANARY }, "REDIS_PASSWORD", /carries its own credentials/],
    ["a user without a Redis", { REDIS_USERNAME: "gateway" }, "REDIS_USERNAME", /without REDIS_SENTINELS or REDIS_CLUSTER_NODES/],
    ["a sentinel without a port", { REDIS_SENTINELS: "127.0.0.1:26379,10.0.0.2" }, "REDIS_SENTINELS", /host:port pairs .*entry 2 is not one/],
    ["a sentinel with a port out of range", { REDIS_SENTINELS: "127.0.0.1:70000" }, "REDIS_SENTINELS", /entry 1 is not one/],
    ["a URL for a sentinel", { REDIS_SENTINELS: "redis://127.0.0.1:26379" }, "REDIS_SENTINELS", /entry 1 is not one/],
    ["only commas", { REDIS_CLUSTER_NODES: " , ," }, "REDIS_CLUSTER_NODES", /host:port pairs/],
    ["a cluster node with a path", { REDIS_CLUSTER_NODES: "127.0.0.1:7000/0" }, "REDIS_CLUSTER_NODES", /entry 1 is not one/],
    ["a bad sentinel name", { REDIS_SENTINELS: "127.0.0.1:26379", REDIS_SENTINEL_NAME: "my master" }, "REDIS_SENTINEL_NAME", /letters, digits/],
  ])("refuses %s with one ConfigError naming the variable", (_name, env, variable, message) => {
    const error = configError(env);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(CANARY);
  });
});
