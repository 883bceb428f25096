/**
 * The secret canary: a gateway holding canary credentials (AccessKey secret, STS token, API key,
 * a JWT, a Redis password) is driven through every error path — throttling, timeouts, dropped
 * connections, 5xx, malformed upstream bodies, bad signatures, auth failures, limit rejections,
 * oversized and malformed requests — and no response (body or header), log line or metric
 * holds any canary, as is, URL-encoded (both ways) or base64 (standard and URL-safe, any
 * alignment). Tracing is on (OTLP/protobuf to a collector stand-in on loopback, with a canary
 * collector key): the exported span bytes (attributes, events, links, resource, status messages)
 * hold no canary either. Each path is also checked to have really happened, so the test cannot
 * pass vacuously.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { RunningEmulator } from "../../src/emulator/types.js";
import { percentEncode } from "../../src/upstream/signing/index.js";
import { startIdentityProvider, TEST_AUDIENCE, TEST_ISSUER, type TestIdentityProvider } from "../helpers/jwks-server.js";
import { startServerHarness, type ServerHarness } from "../helpers/server-harness.js";
import { Redis } from "ioredis";
import { deleteKeysWithPrefix, uniquePrefix } from "../helpers/redis.js";
import { startOtlpReceiver, type OtlpReceiver } from "../helpers/otlp-receiver.js";
import { tracingSettings } from "../helpers/tracing.js";
import { startTracing, type Tracing } from "../../src/observability/tracing.js";
import { readFile } from "node:fs/promises";
import { gatewayOn, startExportStorage, startListingUpstream, type ListedTask } from "../helpers/export-storage.js";
import { tempFiles, usageTask } from "../exports/workbook-files.js";

// Characters that encodeURIComponent and percentEncode treat differently, and that base64 turns into + / =.
const SECRET = "CanarySecret-k9Q!w(7)*x'Lz~Pq3";
const STS_TOKEN = "CanarySts-Tk8/Mv+Qe2=Rw7!(z)";
const API_KEY = "CanaryApiKey-Vb4(N)!x*Y'm2~";
const REDIS_PASSWORD = "CanaryRedisPw-Hq5!s*Jd";
const ACCESS_KEY_ID = "LTAIcanaryKeyId01";
const COLLECTOR_KEY = "CanaryOtlpKey-Rt6!p*Wz";
const REDIS_PREFIX = uniquePrefix("canary");

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const NOW = Date.now();
const CREATE_INPUT = { type: "FLOW", startTime: iso(NOW - 3 * DAY), endTime: iso(NOW - 2 * DAY) };
const TASKS = "query Tasks { tasks(first: 3) { totalCount edges { node { taskId status downloadUrl } } } }";
const CREATE = "mutation Create($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId task { taskId } } }";

/** Every form a canary could take in text: as is, URL-encoded two ways, base64 and base64url at each alignment. */
function forms(canary: string): string[] {
  const out = new Set([canary, encodeURIComponent(canary), percentEncode(canary), encodeURIComponent(canary).toLowerCase()]);
  const bytes = Buffer.from(canary);
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    for (const encoding of ["base64", "base64url"] as const) {
      // Only the characters that encode canary bytes alone: independent of what surrounds it.
      out.add(padded.toString(encoding).slice(offset === 0 ? 0 : 4, 4 * Math.floor(padded.length / 3)));
    }
  }
  return [...out];
}

interface Recorded {
  what: string;
  text: string;
}

describe("secret canary", () => {
  let emulator: RunningEmulator;
  let wrongSecretEmulator: RunningEmulator;
  let idp: TestIdentityProvider;
  let g: ServerHarness;
  let badSig: ServerHarness;
  let jwt: string;
  let collector: OtlpReceiver;
  let tracing: Tracing;
  const seen: Recorded[] = [];

  async function call(what: string, url: string, init: RequestInit = {}): Promise<{ status: number; body: string; json: () => { errors?: Array<{ extensions?: Record<string, unknown> }> } }> {
    const res = await fetch(url, init);
    const body = await res.text();
    const headers = [...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n");
    seen.push({ what: `${what} (status ${res.status})`, text: `${headers}\n\n${body}` });
    return { status: res.status, body, json: () => JSON.parse(body) as { errors?: Array<{ extensions?: Record<string, unknown> }> } };
  }

  function gql(what: string, h: ServerHarness, query: string, headers: Record<string, string> = {}, variables: Record<string, unknown> = {}) {
    return call(what, h.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...headers },
      body: JSON.stringify({ query, variables }),
    });
  }

  const codes = (r: { json: () => { errors?: Array<{ extensions?: Record<string, unknown> }> } }): unknown[] =>
    (r.json().errors ?? []).map((e) => e.extensions?.code);

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, accessKeyId: ACCESS_KEY_ID, accessKeySecret: SECRET, securityToken: STS_TOKEN, historySize: 5, quotaPerSecond: 100_000 });
    // Same id and token, another secret: every signature the gateway makes is wrong here.
    wrongSecretEmulator = await startEmulator({ port: 0, accessKeyId: ACCESS_KEY_ID, accessKeySecret: "not-the-canary-secret", securityToken: STS_TOKEN, historySize: 5 });
    idp = await startIdentityProvider();
    jwt = await idp.token({ subject: "canary-frontend", scope: "export:read export:create" });
    // Tracing on before the gateways are built, as main.ts does: every span goes to the collector.
    collector = await startOtlpReceiver();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_HEADERS: `x-collector-key=${encodeURIComponent(COLLECTOR_KEY)}` };
    tracing = await startTracing(tracingSettings(otel));
    const env = (endpoint: string): Record<string, string> => ({
      ...otel,
      ALIBABA_CLOUD_ACCESS_KEY_ID: ACCESS_KEY_ID,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET,
      ALIBABA_CLOUD_SECURITY_TOKEN: STS_TOKEN,
      CDN_ENDPOINT: endpoint,
      CDN_TIMEOUT_MS: "300",
      CDN_MAX_ATTEMPTS: "2",
      CDN_CACHE_TTL_MS: "0",
      LOG_LEVEL: "trace",
      GATEWAY_API_KEYS: JSON.stringify([{ name: "canary-app", key: API_KEY, scopes: ["export:read", "export:create", "export:delete"] }]),
      GATEWAY_JWKS_URL: idp.jwksUrl,
      GATEWAY_JWT_ISSUER: TEST_ISSUER,
      GATEWAY_JWT_AUDIENCE: TEST_AUDIENCE,
      // A Redis password (the local Redis ignores it, or refuses: either way it is held and logged around).
      REDIS_URL: `redis://:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:6379`,
      REDIS_KEY_PREFIX: REDIS_PREFIX,
    });
    const metricsOn = { configure: (c: ServerHarness["config"]) => ({ ...c, metrics: { host: "127.0.0.1", port: 0 } }) };
    g = await startServerHarness({ env: env(emulator.url), ...metricsOn, app: { gateway: { readiness: { cacheMs: 0 } } } });
    badSig = await startServerHarness({ env: env(wrongSecretEmulator.url), ...metricsOn });
  });

  afterAll(async () => {
    await g.close();
    await badSig.close();
    await tracing.shutdown();
    await collector.close();
    await idp.close();
    await emulator.close();
    await wrongSecretEmulator.close();
    const admin = new Redis("redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    admin.on("error", () => undefined);
    try {
      await admin.connect();
      await deleteKeysWithPrefix(admin, REDIS_PREFIX);
    } catch {
      // No Redis here: nothing was written.
    } finally {
      admin.disconnect();
    }
  });

  it("drives every error path and finds no canary anywhere", async () => {
    const key = { authorization: `Bearer ${API_KEY}` };
    const token = { authorization: `Bearer ${jwt}` };
    const noisy = { ...key, "x-acs-security-token": STS_TOKEN, cookie: `session=${SECRET}`, "x-api-key": API_KEY, "x-request-id": "canary-run" };

    // Success, with secret-looking headers alongside.
    expect(codes(await gql("read with API key", g, TASKS, noisy))).toEqual([]);
    expect(codes(await gql("read with JWT", g, TASKS, token))).toEqual([]);
    expect(codes(await gql("create with JWT", g, CREATE, { ...token, "idempotency-key": "canary-1" }, { i: CREATE_INPUT }))).toEqual([]);

    // Upstream failures.
    const upstreamFaults: Array<[string, Parameters<RunningEmulator["setFaults"]>[0], string]> = [
      ["throttling", { throttleRate: 1 }, "UPSTREAM_THROTTLED"],
      ["timeout", { latencyMs: 1_000 }, "UPSTREAM_TIMEOUT"],
      ["dropped connection", { dropRate: 1 }, "UPSTREAM_UNAVAILABLE"],
      ["5xx", { serverErrorRate: 1 }, "UPSTREAM_UNAVAILABLE"],
      ["malformed upstream body", { malformedRate: 1 }, "UPSTREAM_UNAVAILABLE"],
    ];
    for (const [what, faults, code] of upstreamFaults) {
      emulator.setFaults(faults);
      expect(codes(await gql(`read, ${what}`, g, TASKS, key))).toContain(code);
      expect(codes(await gql(`create, ${what}`, g, CREATE, token, { i: CREATE_INPUT }))).toContain(code);
      emulator.setFaults({});
    }
    expect((await call("ready while failing", `${g.base}/ready`)).status).toBe(200);

    // Bad signatures: the upstream refuses every signed call.
    const rejected = await gql("read, bad signature", badSig, TASKS, key);
    expect(rejected.json().errors?.[0]?.extensions).toMatchObject({ code: "UPSTREAM_REJECTED", upstream: { code: "SignatureDoesNotMatch" } });
    expect(codes(await gql("create, bad signature", badSig, CREATE, key, { i: CREATE_INPUT }))).toContain("UPSTREAM_REJECTED");
    expect((await call("ready, bad signature", `${badSig.base}/ready`)).status).toBe(503);

    // Authentication and authorisation failures.
    const refusedHeaders: Array<[string, Record<string, string>]> = [
      ["no credentials", {}],
      ["API key plus a character", { authorization: `Bearer ${API_KEY}x` }],
      ["API key in another case", { authorization: `Bearer ${API_KEY.toLowerCase()}` }],
      ["Basic auth with the key", { authorization: `Basic ${Buffer.from(`user:${API_KEY}`).toString("base64")}` }],
      ["JWT with a flipped character", { authorization: `Bearer ${jwt.slice(0, -3)}${jwt.at(-3) === "A" ? "B" : "A"}${jwt.slice(-2)}` }],
      ["expired JWT", { authorization: `Bearer ${await idp.token({ scope: "export:read", expired: true })}` }],
      ["forged JWT", { authorization: `Bearer ${await idp.token({ scope: "export:read", forged: true })}` }],
      ["JWT for another audience", { authorization: `Bearer ${await idp.token({ scope: "export:read", audience: "elsewhere" })}` }],
      ["STS token as bearer", { authorization: `Bearer ${STS_TOKEN}` }],
      ["AccessKey secret as bearer", { authorization: `Bearer ${SECRET}` }],
    ];
    for (const [what, headers] of refusedHeaders) {
      const res = await gql(`auth: ${what}`, g, TASKS, headers);
      expect(res.status).toBe(401);
    }
    const readOnly = await idp.token({ subject: "reader", scope: "export:read" });
    expect(codes(await gql("forbidden create", g, CREATE, { authorization: `Bearer ${readOnly}` }, { i: CREATE_INPUT }))).toEqual(["FORBIDDEN"]);

    // Operation limits.
    const limits: Array<[string, string]> = [
      ["aliases", `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: tasks(first: 1) { totalCount }`).join(" ")} }`],
      ["depth", `{ __type(name: "Query") { fields { type ${"{ ofType ".repeat(9)}{ name }${" }".repeat(9)} } } }`],
      ["tokens", `{ tasks(first: 1) { ${"totalCount ".repeat(2100)} } }`],
      ["directives", `{ tasks(first: 1) { totalCount ${"@include(if: true) ".repeat(51)} } }`],
      ["cost", `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: tasks(first: 100) { edges { node { taskId name } } }`).join(" ")} }`],
    ];
    for (const [what, query] of limits) {
      expect((await gql(`limit: ${what}`, g, query, key)).status).toBe(400);
    }

    // Oversized and malformed requests, each carrying the key in the body or URL.
    const big = JSON.stringify({ query: TASKS, variables: { pad: `${API_KEY} `.repeat(60_000) } });
    expect((await call("body over 1 MB", g.url, { method: "POST", headers: { ...key, "content-type": "application/json" }, body: big })).status).toBe(413);
    const malformed: Array<[string, RequestInit & { url?: string }]> = [
      ["invalid JSON", { method: "POST", headers: { ...key, "content-type": "application/json" }, body: `{"query": "${API_KEY}`, url: g.url }],
      ["JSON string body", { method: "POST", headers: { ...key, "content-type": "application/json" }, body: `"${SECRET}"`, url: g.url }],
      ["non-JSON GET variables", { headers: { ...key, "x-graphql-yoga-csrf": "1" }, url: `${g.url}?query=${encodeURIComponent(TASKS)}&variables=${encodeURIComponent(API_KEY)}` }],
      ["form POST (CSRF)", { method: "POST", headers: { ...key, "content-type": "application/x-www-form-urlencoded" }, body: `query=${encodeURIComponent(TASKS)}&key=${encodeURIComponent(API_KEY)}`, url: g.url }],
      ["secret in the query string", { headers: { accept: "application/json", "x-graphql-yoga-csrf": "1" }, url: `${g.url}?query=${encodeURIComponent(TASKS)}&access_token=${encodeURIComponent(jwt)}` }],
    ];
    for (const [what, { url, ...init }] of malformed) {
      const res = await call(`malformed: ${what}`, url ?? g.url, init);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }

    // The other surfaces.
    await call("health", `${g.base}/health`);
    await call("ready", `${g.base}/ready`);
    await call("GraphiQL page", g.url, { headers: { accept: "text/html" } });
    for (const h of [g, badSig]) {
      const metrics = await call("metrics", h.gateway.metricsUrl!);
      expect(metrics.body).toContain("cdn_gateway_upstream_calls_total");
    }
    expect(await emulatorSawAllFaults()).toBe(true);

    // Logs: flushed lines of both gateways; the paths above must have been logged.
    const logText = [...g.logs.lines, ...badSig.logs.lines].join("");
    expect(logText).toContain("upstream call failed");
    expect(logText).toContain("authentication refused");
    // Spans: every one exported, as the bytes the collector received.
    await tracing.forceFlush();
    const spans = collector.spans();
    expect(spans.some((span) => span.name === "POST /graphql" && span.attributes["http.response.status_code"] === 401)).toBe(true);
    expect(spans.some((span) => span.name === "GET /graphql")).toBe(true);
    for (const errorType of ["Throttling", "UPSTREAM_TIMEOUT", "UPSTREAM_UNAVAILABLE", "SignatureDoesNotMatch"]) {
      expect(spans.some((span) => span.name.startsWith("cdn ") && span.attributes["error.type"] === errorType)).toBe(true);
    }
    expect(collector.exports[0]?.headers["x-collector-key"]).toBe(COLLECTOR_KEY);
    const spanBytes = collector.exports.map((received, i) => ({ what: `exported spans, export ${i + 1} (${received.contentType})`, text: received.body.toString("latin1") }));
    const texts: Recorded[] = [...seen, { what: "logs", text: logText }, ...spanBytes, { what: "exported spans, decoded", text: JSON.stringify(spans) }];

    const leaks: string[] = [];
    for (const [name, canary] of Object.entries({ SECRET, STS_TOKEN, API_KEY, JWT: jwt, REDIS_PASSWORD, COLLECTOR_KEY })) {
      for (const form of forms(canary)) {
        for (const { what, text } of texts) {
          if (text.includes(form)) leaks.push(`${name} as ${JSON.stringify(form)} in ${what}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  }, 60_000);

  async function emulatorSawAllFaults(): Promise<boolean> {
    // The good emulator was called (so the canary credentials were really used) and the bad one refused.
    const good = emulator.stats().total;
    const bad = wrongSecretEmulator.stats().total;
    return Promise.resolve(good > 0 && bad > 0);
  }
});

/**
 * The download URL canary: export files are fetched from signed URLs (the signature and the
 * path are credentials). Driven through every way reading a file ends — read, expired and
 * refreshed, expired for good, 5xx, a cut connection, not a workbook, too large, a host or
 * address not allowed, a redirect to another origin — on `usage`, `sheets` and the CSV route,
 * no response, log line (at trace) or metric holds the URL, its signature or its path token.
 */
describe("download URL canary", () => {
  const SIGNATURE = "CanaryDownloadSig-Zx9!(q)*w'~Pv";
  const FRESH_SIGNATURE = "CanaryFreshSig-Kd2!(m)*u'~Tb";
  const PATH_TOKEN = "CanaryPathToken-7f3a9c";
  const canaries = { SIGNATURE, FRESH_SIGNATURE, PATH_TOKEN };

  it("never shows a download URL", async () => {
    const files = await tempFiles();
    const storage = await startExportStorage();
    const workbook = await readFile(await files.workbook(usageTask({ taskId: "1" })));
    const signed = (path: string, signature = SIGNATURE) => `${storage.origin}/${PATH_TOKEN}${path}?Expires=1900000000&OSSAccessKeyId=LTAIcanary&Signature=${encodeURIComponent(signature)}`;
    storage.answer(`/${PATH_TOKEN}/ok.xlsx`, { kind: "file", body: workbook });
    storage.answer(`/${PATH_TOKEN}/expired.xlsx`, { kind: "status", status: 403 });
    storage.answer(`/${PATH_TOKEN}/broken.xlsx`, { kind: "status", status: 503 });
    storage.answer(`/${PATH_TOKEN}/cut.xlsx`, { kind: "drop" });
    storage.answer(`/${PATH_TOKEN}/page.xlsx`, { kind: "file", body: Buffer.from(`<html>denied ${PATH_TOKEN}</html>`) });
    storage.answer(`/${PATH_TOKEN}/away.xlsx`, { kind: "redirect", location: `https://elsewhere.example.com/${PATH_TOKEN}/x.xlsx?Signature=${encodeURIComponent(SIGNATURE)}` });
    const tasks: ListedTask[] = [
      { TaskId: "1", downloadUrls: [signed("/expired.xlsx"), signed("/ok.xlsx", FRESH_SIGNATURE)] },
      { TaskId: "2", downloadUrls: [signed("/expired.xlsx")] },
      { TaskId: "3", downloadUrls: [signed("/broken.xlsx")] },
      { TaskId: "4", downloadUrls: [signed("/cut.xlsx")] },
      { TaskId: "5", downloadUrls: [signed("/page.xlsx")] },
      { TaskId: "6", downloadUrls: [signed("/away.xlsx")] },
      { TaskId: "7", downloadUrls: [`http://10.1.2.3/${PATH_TOKEN}/x.xlsx?Signature=${encodeURIComponent(SIGNATURE)}`] },
      { TaskId: "8", downloadUrls: [`https://user:${encodeURIComponent(SIGNATURE)}@evil.example.net/${PATH_TOKEN}.xlsx`] },
      { TaskId: "9", downloadUrls: [signed("/ok.xlsx")] },
    ];
    const upstream = await startListingUpstream(() => tasks);
    const metricsOn = { configure: (c: ServerHarness["config"]) => ({ ...c, metrics: { host: "127.0.0.1", port: 0 } }) };
    const env = { LOG_LEVEL: "trace", CDN_CACHE_TTL_MS: "0" };
    const gateways = [await gatewayOn(upstream, storage, env, metricsOn), await gatewayOn(upstream, storage, { ...env, EXPORT_MAX_FILE_BYTES: "2048" }, metricsOn)];
    const seen: string[] = [];
    const codes = new Set<unknown>();
    try {
      for (const g of gateways) {
        for (const task of tasks) {
          const query = `query($id: String!) { task(taskId: $id) { taskId usage(interval: HOUR) { summary { trafficBytes } } sheets { name rowCount } } }`;
          const res = await fetch(g.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables: { id: task.TaskId } }) });
          const text = await res.text();
          seen.push(text);
          for (const error of (JSON.parse(text) as { errors?: { extensions?: { code?: unknown } }[] }).errors ?? []) codes.add(error.extensions?.code);
          for (const query of ["", "?interval=DAY&summed=true"]) {
            const csv = await fetch(`${g.base}/exports/usage-detail/${task.TaskId}.csv${query}`);
            seen.push([...csv.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n"), csv.status === 200 ? "" : await csv.text());
          }
        }
        seen.push(await (await fetch(g.gateway.metricsUrl!)).text());
      }
      // Every path really happened: read, refreshed, and each failure.
      expect([...codes].sort()).toEqual(["EXPORT_FORMAT_UNRECOGNIZED", "EXPORT_TOO_LARGE", "EXPORT_UNAVAILABLE"]);
      expect(storage.requested.some((url) => url.includes("CanaryFreshSig"))).toBe(true);
      expect(storage.hits.get(`/${PATH_TOKEN}/cut.xlsx`)).toBeGreaterThan(0);
      const logText = gateways.flatMap((g) => g.logs.lines).join("");
      // The paths were logged: access lines of the CSV route, and the codes of the GraphQL errors.
      expect(logText).toContain("/exports/usage-detail/2.csv");
      expect(logText).toContain("EXPORT_FORMAT_UNRECOGNIZED");
      seen.push(logText);

      const leaks: string[] = [];
      for (const [name, canary] of Object.entries(canaries)) {
        for (const form of forms(canary)) {
          for (const [i, text] of seen.entries()) if (text.includes(form)) leaks.push(`${name} as ${JSON.stringify(form)} in text ${i}`);
        }
      }
      for (const [i, text] of seen.entries()) if (text.includes(`${storage.origin}/`)) leaks.push(`a storage URL in text ${i}`);
      expect(leaks).toEqual([]);
    } finally {
      for (const g of gateways) await g.close();
      await upstream.close();
      await storage.close();
      await files.remove();
    }
  }, 60_000);
});
