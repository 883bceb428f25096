import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLError, GraphQLObjectType, GraphQLSchema, GraphQLString } from "graphql";
import { loadConfig } from "../../src/config.js";
import { startEmulator } from "../../src/emulator/index.js";
import type { RunningEmulator } from "../../src/emulator/types.js";
import { createLogger } from "../../src/observability/logger.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { createGateway } from "../../src/server.js";
import type { CdnExportApi } from "../../src/upstream/types.js";
import { logSink, postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

const TASKS = "query Tasks { tasks(first: 2) { totalCount } }";

describe("HTTP hardening with the embedded emulator", () => {
  let h: ServerHarness;
  beforeAll(async () => {
    h = await startServerHarness({ env: { MAX_BODY_BYTES: "65536" } });
  });
  afterAll(() => h.close());

  it("CSRF: a GET query without a preflight header is refused; with one it runs", async () => {
    const url = `${h.url}?query=${encodeURIComponent("{ tasks(first: 1) { totalCount } }")}`;
    const refused = await fetch(url, { headers: { accept: "application/json" } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("x-graphql-yoga-csrf");
    const allowed = await fetch(url, { headers: { accept: "application/json", "x-graphql-yoga-csrf": "1" } });
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as { data: { tasks: { totalCount: number } } }).data.tasks.totalCount).toBeGreaterThan(0);
  });

  it("CSRF: a form-encoded POST (what an HTML form can send cross-site) is refused", async () => {
    const res = await fetch(h.url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `query=${encodeURIComponent(TASKS)}` });
    expect(res.status).toBe(400);
  });

  it("a refused operation gets 400 only with Accept: application/graphql-response+json, 200 with application/json; other refusals keep theirs", async () => {
    const statusOf = async (body: string, accept?: string): Promise<[number, unknown]> => {
      const res = await fetch(h.url, { method: "POST", headers: { "content-type": "application/json", ...(accept === undefined ? {} : { accept }) }, body });
      const json = (await res.json()) as { errors?: Array<{ extensions?: { code?: unknown } }> };
      return [res.status, json.errors?.[0]?.extensions?.code];
    };
    const refusedOperations = [
      [JSON.stringify({ query: "{ tasks(" }), "GRAPHQL_PARSE_FAILED"],
      [JSON.stringify({ query: "{ nope }" }), "GRAPHQL_VALIDATION_FAILED"],
      // An operation limit (16 aliases, over MAX_ALIASES).
      [JSON.stringify({ query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: __typename`).join(" ")} }` }), "GRAPHQL_VALIDATION_FAILED"],
    ] as const;
    for (const [body, code] of refusedOperations) {
      expect(await statusOf(body, "application/graphql-response+json")).toEqual([400, code]);
      expect(await statusOf(body, "application/json")).toEqual([200, code]);
      expect(await statusOf(body, "*/*")).toEqual([200, code]);
      expect(await statusOf(body)).toEqual([200, code]);
    }
    // The gateway's own refusals: the same status whatever Accept says.
    for (const accept of ["application/json", "application/graphql-response+json"]) {
      expect(await statusOf("{not json", accept)).toEqual([400, "BAD_REQUEST"]);
      expect(await statusOf(JSON.stringify({ query: "query A { __typename }", operationName: "B" }), accept)).toEqual([400, "OPERATION_RESOLUTION_FAILURE"]);
    }
  });

  it("a body over MAX_BODY_BYTES is refused with 413, with or without content-length", async () => {
    const big = JSON.stringify({ query: TASKS, variables: { pad: "x".repeat(100_000) } });
    const res = await fetch(h.url, { method: "POST", headers: { "content-type": "application/json" }, body: big });
    expect(res.status).toBe(413);
    // The answer states the limit: the variable to raise and its value.
    const limit = h.config.limits.maxBodyBytes;
    const refusal = ((await res.json()) as { errors: Array<{ message: string; extensions: Record<string, unknown> }> }).errors[0];
    expect(refusal?.message).toBe(`Request body too large: the limit is ${limit} bytes (MAX_BODY_BYTES).`);
    expect(refusal?.extensions).toMatchObject({ code: "REQUEST_ENTITY_TOO_LARGE", limitBytes: limit });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const chunked = await fetch(h.url, { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { errors: Array<{ message: string }> }).errors[0]?.message).toContain(`${limit} bytes (MAX_BODY_BYTES)`);
  });

  it("a small chunked body still runs; a malformed Content-Length is a 400 before parsing", async () => {
    const small = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ query: TASKS })));
        controller.close();
      },
    });
    const chunked = await fetch(h.url, { method: "POST", headers: { "content-type": "application/json" }, body: small, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(200);
    expect(((await chunked.json()) as { data: { tasks: { totalCount: number } } }).data.tasks.totalCount).toBeGreaterThan(0);

    // fetch always sends a valid Content-Length: speak HTTP/1.1 over a socket instead.
    h.emulator!.resetStats();
    const body = JSON.stringify({ query: TASKS });
    const { host, port, pathname } = new URL(h.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), host.split(":")[0] ?? "127.0.0.1", () => {
        socket.end(`POST ${pathname} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: +${body.length}\r\nConnection: close\r\n\r\n${body}`);
      });
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    // Node's own parser or the gateway refuses it; either way nothing reaches the upstream.
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(h.emulator!.stats().total).toBe(0);
  });

  it("CORS: any origin may call the emulator-backed demo", async () => {
    const res = await fetch(h.url, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
    });
    // yoga answers `*` by echoing the caller's origin.
    expect(["*", "http://localhost:5173"]).toContain(res.headers.get("access-control-allow-origin"));
  });

  it("operation limits: aliases, depth and tokens are refused before any upstream call", async () => {
    h.emulator!.resetStats();
    const aliases = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: tasks(first: 1) { totalCount }`).join(" ")} }`;
    const tooMany = await postGraphQL(h.url, aliases);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors?.[0]?.message).toMatch(/aliases limit of 15/i);
    expect(tooMany.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const deep = `{ __type(name: "Query") { fields { type ${"{ ofType ".repeat(9)}{ name }${" }".repeat(9)} } } }`;
    expect((await postGraphQL(h.url, deep)).body.errors?.[0]?.message).toMatch(/depth limit of 10/i);
    const tokens = `{ tasks(first: 1) { ${"totalCount ".repeat(2100)} } }`;
    const tooLong = await postGraphQL(h.url, tokens);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors?.[0]?.message).toMatch(/token limit of 2000/i);
    const directives = `{ tasks(first: 1) { totalCount ${"@include(if: true) ".repeat(51)} } }`;
    expect((await postGraphQL(h.url, directives)).body.errors?.[0]?.message).toMatch(/directives limit of 50/i);
    expect(h.emulator!.stats().total).toBe(0);
    // 15 aliases is within the limit.
    const fifteen = `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: tasks(first: 1) { totalCount }`).join(" ")} }`;
    expect((await postGraphQL(h.url, fifteen)).body.errors).toBeUndefined();
  });

  it("the cost budget refuses 60 × tasks(first: 100) even when aliases are allowed", async () => {
    const wide = await startServerHarness({ env: { MAX_ALIASES: "100" } });
    try {
      wide.emulator!.resetStats();
      const query = `{ ${Array.from({ length: 60 }, (_, i) => `a${i}: tasks(first: 100) { totalCount }`).join(" ")} }`;
      const res = await postGraphQL(wide.url, query);
      expect(res.body.errors?.[0]?.message).toMatch(/cost/i);
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: "GRAPHQL_VALIDATION_FAILED", limit: "cost", maxCost: 5000, cost: 6060 });
      expect(wide.emulator!.stats().total).toBe(0);
      const fine = await postGraphQL(wide.url, `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: tasks(first: 20) { totalCount }`).join(" ")} }`);
      expect(fine.body.errors).toBeUndefined();
    } finally {
      await wide.close();
    }
  });
});

describe("INTROSPECTION=off", () => {
  it("refuses __schema and field suggestions, but federation's _service still answers", async () => {
    const h = await startServerHarness({ env: { INTROSPECTION: "off" } });
    try {
      const schema = await postGraphQL(h.url, "{ __schema { types { name } } }");
      expect(schema.status).toBe(400);
      expect(schema.body.errors?.[0]?.message).toMatch(/introspection/i);
      const typo = await postGraphQL(h.url, "{ taks { totalCount } }");
      expect(JSON.stringify(typo.body)).not.toMatch(/did you mean/i);
      const sdl = await postGraphQL(h.url, "{ _service { sdl } }");
      expect((sdl.body.data as { _service: { sdl: string } })._service.sdl).toContain("ExportTask");
    } finally {
      await h.close();
    }
  });
});

describe("against a real (credentialed) upstream: here the emulator on loopback", () => {
  let emulator: RunningEmulator;
  let h: ServerHarness;
  const key = "dashboard-key-0123456789";
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, accessKeyId: "LTAIrealModeTest", accessKeySecret: "real-mode-secret" });
    h = await startServerHarness({
      env: {
        ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.accessKeySecret,
        CDN_ENDPOINT: emulator.url,
        GATEWAY_API_KEYS: JSON.stringify([{ name: "dashboard", key, scopes: ["export:read"] }]),
      },
    });
  });
  afterAll(async () => {
    await h.close();
    await emulator.close();
  });

  it("starts no embedded emulator and requires authentication", async () => {
    expect(h.emulator).toBeNull();
    const anonymous = await postGraphQL(h.url, TASKS);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const keyed = await postGraphQL(h.url, TASKS, { headers: { authorization: `Bearer ${key}` } });
    expect(keyed.status).toBe(200);
    expect(keyed.body.errors).toBeUndefined();
    expect(emulator.stats().total).toBeGreaterThanOrEqual(1);
  });

  it("sends no CORS headers by default (same origin only)", async () => {
    const res = await fetch(h.url, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("GraphiQL's page stays reachable without a key (it is not a GraphQL request)", async () => {
    const res = await fetch(h.url, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
  });
});

describe("error masking", () => {
  it("unexpected errors become INTERNAL_SERVER_ERROR without detail; coded GraphQLErrors pass through", async () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: "Query",
        fields: {
          boom: {
            type: GraphQLString,
            resolve: () => {
              throw new Error("db password hunter2 at /srv/app.ts:12");
            },
          },
          coded: {
            type: GraphQLString,
            resolve: () => {
              throw new GraphQLError("slow down", { extensions: { code: "UPSTREAM_THROTTLED" } });
            },
          },
        },
      }),
    });
    const logs = logSink();
    const config = loadConfig({ PORT: "0", METRICS_PORT: "0", NODE_ENV: "development" });
    const unusedApi = {} as CdnExportApi; // never called: these resolvers do not read the upstream
    const gateway = createGateway({ config, schema, api: unusedApi, logger: createLogger({ level: "info", destination: logs }), metrics: createMetrics() });
    const url = await gateway.listen();
    try {
      const res = await postGraphQL(url, "{ boom coded }");
      const [boom, coded] = res.body.errors ?? [];
      expect(boom).toMatchObject({ message: "Unexpected error.", extensions: { code: "INTERNAL_SERVER_ERROR" } });
      expect(JSON.stringify(res.body)).not.toContain("hunter2");
      expect(coded).toMatchObject({ message: "slow down", extensions: { code: "UPSTREAM_THROTTLED" } });
      // The detail is logged for operators (type/message/stack only).
      expect(logs.records().some((r) => r.msg === "unexpected error")).toBe(true);
    } finally {
      await gateway.close();
    }
  });
});
