/**
 * Automatic persisted queries against the running gateway, driven by Apollo Client's own
 * persisted-queries link (`@apollo/client/link/persisted-queries`) over its HttpLink: the first
 * request of a document is hash-only, gets PersistedQueryNotFound, and the link sends the query
 * with its hash (registering it); from then on requests are hash-only. With REDIS_URL a hash
 * registered through one replica is known to another. Trusted-documents mode keeps refusing
 * anything outside its manifest; a refused caller registers nothing.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql, type TypedDocumentNode } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { Redis } from "ioredis";
import { createSchema, createYoga } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useAutomaticPersistedQueries } from "../../src/http/automatic-persisted-queries.js";
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

interface Sent {
  status: number;
  body: { query?: string; extensions?: { persistedQuery?: { version: number; sha256Hash: string } } };
  answer: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

/** An Apollo Client with the persisted-queries link, recording every HTTP exchange it makes. */
function apolloClient(url: string, headers: Record<string, string> = {}): { client: ApolloClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const text = await response.clone().text();
    sent.push({ status: response.status, body: JSON.parse(typeof init?.body === "string" ? init.body : "{}") as Sent["body"], answer: JSON.parse(text) as Sent["answer"] });
    return response;
  };
  const link = ApolloLink.from([new PersistedQueryLink({ sha256 }), new HttpLink({ uri: url, fetch: recordingFetch, headers })]);
  return { client: new ApolloClient({ link, cache: new InMemoryCache() }), sent };
}

interface TasksData {
  tasks: { totalCount: number; edges: Array<{ node: { taskId: string } }> };
}

const TASKS: TypedDocumentNode<TasksData, { first: number }> = gql`
  query RecentTasks($first: Int!) {
    tasks(first: $first) {
      totalCount
      edges {
        node {
          taskId
          status
        }
      }
    }
  }
`;


describe("automatic persisted queries (Apollo Client's link)", () => {
  let h: ServerHarness;
  beforeAll(async () => {
    h = await startServerHarness({ env: { LOG_LEVEL: "warn" } });
  });
  afterAll(() => h.close());

  it("first request: hash miss, then the full query; second: hash only", async () => {
    const { client, sent } = apolloClient(h.url);
    const first = await client.query({ query: TASKS, variables: { first: 3 }, fetchPolicy: "network-only" });
    expect(first.error).toBeUndefined();
    expect(first.data?.tasks.edges).toHaveLength(3);

    expect(sent).toHaveLength(2);
    const [miss, full] = sent;
    expect(miss?.body.query).toBeUndefined();
    expect(miss?.body.extensions?.persistedQuery?.sha256Hash).toMatch(/^[0-9a-f]{64}$/);
    expect(miss?.status).toBe(404);
    expect(miss?.answer.errors?.[0]).toMatchObject({ message: "PersistedQueryNotFound", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } });
    expect(full?.body.query).toContain("RecentTasks");
    expect(full?.body.extensions?.persistedQuery?.sha256Hash).toBe(miss?.body.extensions?.persistedQuery?.sha256Hash);
    expect(full?.status).toBe(200);

    const second = await client.query({ query: TASKS, variables: { first: 2 }, fetchPolicy: "network-only" });
    expect(second.data?.tasks.edges).toHaveLength(2);
    expect(sent).toHaveLength(3);
    expect(sent[2]?.body.query).toBeUndefined();
    expect(sent[2]?.status).toBe(200);

    // Another client (another browser) finds the document registered: one hash-only request.
    const other = apolloClient(h.url);
    const third = await other.client.query({ query: TASKS, variables: { first: 1 }, fetchPolicy: "network-only" });
    expect(third.data?.tasks.edges).toHaveLength(1);
    expect(other.sent.map((s) => s.body.query)).toEqual([undefined]);
  });

  it("useGETForHashedQueries: hash-only GETs (with apollo-require-preflight), the miss and the registration POSTed", async () => {
    const exchanges: Array<{ method: string; query: string | null; hash: string | null; status: number }> = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const method = init?.method ?? "GET";
      const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
      const body = JSON.parse(typeof init?.body === "string" ? init.body : "{}") as Sent["body"];
      const extensions = url.searchParams.get("extensions");
      const hashFromUrl = extensions === null ? undefined : (JSON.parse(extensions) as Sent["body"]["extensions"])?.persistedQuery?.sha256Hash;
      exchanges.push({ method, query: url.searchParams.get("query") ?? body.query ?? null, hash: hashFromUrl ?? body.extensions?.persistedQuery?.sha256Hash ?? null, status: response.status });
      return response;
    };
    const link = ApolloLink.from([
      new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
      new HttpLink({ uri: h.url, fetch: recordingFetch, headers: { "apollo-require-preflight": "true" } }),
    ]);
    const client = new ApolloClient({ link, cache: new InMemoryCache() });
    // A document of its own: the other tests' documents are registered already.
    const ONE: TypedDocumentNode<TasksData, { first: number }> = gql`query OneTaskByGet($first: Int!) { tasks(first: $first) { totalCount edges { node { taskId } } } }`;
    const first = await client.query({ query: ONE, variables: { first: 1 }, fetchPolicy: "network-only" });
    expect(first.data?.tasks.edges).toHaveLength(1);
    const second = await client.query({ query: ONE, variables: { first: 2 }, fetchPolicy: "network-only" });
    expect(second.data?.tasks.edges).toHaveLength(2);

    const hash = exchanges[0]?.hash;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    // GET hash-only → 404 miss; POST with the query registers it; then GET hash-only answers.
    expect(exchanges).toEqual([
      { method: "GET", query: null, hash, status: 404 },
      { method: "POST", query: expect.stringContaining("OneTaskByGet") as unknown as string, hash, status: 200 },
      { method: "GET", query: null, hash, status: 200 },
    ]);

    // Without the preflight header the same hash-only GET is a CSRF refusal, not an answer.
    const bare = await fetch(`${h.url}?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }))}&variables=${encodeURIComponent('{"first":1}')}`);
    expect(bare.status).toBe(400);
    expect(((await bare.json()) as Sent["answer"]).errors?.[0]?.message).toMatch(/cross-site request forgery/);
  });

  it("a hash that is not the query's sha256 is refused and registers nothing", async () => {
    const query = "{ tasks(first: 1) { totalCount } }";
    const wrong = sha256("something else");
    const res = await fetch(h.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash: wrong } } }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Sent["answer"];
    expect(body.errors?.[0]?.extensions?.["code"]).toBe("BAD_REQUEST");
    const hashOnly = await fetch(h.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: wrong } } }) });
    expect(((await hashOnly.json()) as Sent["answer"]).errors?.[0]?.message).toBe("PersistedQueryNotFound");
  });
});

describe("automatic persisted queries with authentication", () => {
  let h: ServerHarness;
  const key = "apq-test-key-0123456789abcdef";
  beforeAll(async () => {
    h = await startServerHarness({ env: { LOG_LEVEL: "warn", GATEWAY_API_KEYS: JSON.stringify([{ name: "dashboard", key, scopes: ["export:read"] }]) } });
  });
  afterAll(() => h.close());

  it("a caller without credentials gets 401 (not a hash miss) and registers nothing", async () => {
    const anonymous = apolloClient(h.url);
    const refused = await anonymous.client.query({ query: TASKS, variables: { first: 1 }, fetchPolicy: "network-only" }).catch((error: unknown) => ({ error }));
    expect(refused.error).toBeDefined();
    expect(anonymous.sent.map((s) => s.status)).toEqual([401]);

    // With the hash and the query, still 401: the document is not registered…
    const hash = sha256("{ tasks(first: 1) { totalCount } }");
    const withQuery = await fetch(h.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ tasks(first: 1) { totalCount } }", extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
    });
    expect(withQuery.status).toBe(401);
    // …so an authenticated hash-only request for it misses.
    const hashOnly = await fetch(h.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
    });
    expect(((await hashOnly.json()) as Sent["answer"]).errors?.[0]?.message).toBe("PersistedQueryNotFound");

    const authenticated = apolloClient(h.url, { authorization: `Bearer ${key}` });
    const ok = await authenticated.client.query({ query: TASKS, variables: { first: 1 }, fetchPolicy: "network-only" });
    expect(ok.data?.tasks.edges).toHaveLength(1);
  });
});

describe("automatic persisted queries in trusted-documents mode", () => {
  let h: ServerHarness;
  const manifestQuery = "query Count { tasks(first: 1) { totalCount } }";
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "apq-trusted-"));
    const manifest = join(dir, "manifest.json");
    writeFileSync(manifest, JSON.stringify({ [sha256(manifestQuery)]: manifestQuery }));
    h = await startServerHarness({ env: { LOG_LEVEL: "warn", TRUSTED_DOCUMENTS: manifest } });
  });
  afterAll(() => h.close());

  it("the link's hash miss is a PERSISTED_QUERY_ONLY refusal, and sending the query does not register it", async () => {
    const { client, sent } = apolloClient(h.url);
    const result = await client.query({ query: TASKS, variables: { first: 1 }, fetchPolicy: "network-only" }).catch((error: unknown) => ({ error, data: undefined }));
    expect(result.data).toBeUndefined();
    expect(sent.map((s) => s.answer.errors?.[0]?.extensions?.["code"])).toEqual(["PERSISTED_QUERY_ONLY"]);

    const hash = sha256("{ tasks(first: 1) { totalCount } }");
    const register = await fetch(h.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ tasks(first: 1) { totalCount } }", extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
    });
    expect(((await register.json()) as Sent["answer"]).errors?.[0]?.extensions?.["reason"]).toBe("arbitrary-operation");
    const hashOnly = await fetch(h.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }) });
    expect(((await hashOnly.json()) as Sent["answer"]).errors?.[0]?.extensions?.["reason"]).toBe("unknown-document");

    // The manifest's own document runs by hash, as before.
    const manifestDoc = await fetch(h.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(manifestQuery) } } }),
    });
    expect(((await manifestDoc.json()) as { data?: { tasks: { totalCount: number } } }).data?.tasks.totalCount).toBeGreaterThan(0);
  });
});

describe("automatic persisted queries when the store fails (Redis down)", () => {
  const failures: string[] = [];
  const yoga = createYoga({
    schema: createSchema({ typeDefs: "type Query { ok: Boolean! }", resolvers: { Query: { ok: () => true } } }),
    logging: false,
    plugins: [
      useAutomaticPersistedQueries({
        store: { get: () => Promise.reject(new Error("down")), set: () => Promise.reject(new Error("down")) },
        onStoreError: (_error, phase) => failures.push(phase),
      }),
    ],
  });
  const post = async (body: unknown): Promise<Sent["answer"]> =>
    (await (await yoga.fetch("http://gateway.test/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json()) as Sent["answer"];

  it("a lookup that fails is a miss, a registration that fails still runs the query", async () => {
    const query = "{ ok }";
    const persistedQuery = { version: 1, sha256Hash: sha256(query) };
    expect((await post({ extensions: { persistedQuery } })).errors?.[0]?.message).toBe("PersistedQueryNotFound");
    expect(await post({ query, extensions: { persistedQuery } })).toEqual({ data: { ok: true } });
    expect(failures).toEqual(["get", "set"]);
  });
});

const hasRedis = await redisReachable();

describe.skipIf(!hasRedis)("automatic persisted queries shared through Redis", () => {
  const prefix = uniquePrefix("apq");
  let a: ServerHarness;
  let b: ServerHarness;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  beforeAll(async () => {
    const env = { LOG_LEVEL: "warn", REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix };
    [a, b] = await Promise.all([startServerHarness({ env }), startServerHarness({ env })]);
    await redis.connect();
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  it("a hash registered through one replica is known to the other", async () => {
    const first = apolloClient(a.url);
    await first.client.query({ query: TASKS, variables: { first: 2 }, fetchPolicy: "network-only" });
    expect(first.sent.map((s) => s.body.query === undefined)).toEqual([true, false]);
    const hash = first.sent[0]?.body.extensions?.persistedQuery?.sha256Hash ?? "";
    expect(await redis.get(`${prefix}apq:${hash}`)).toContain("RecentTasks");
    expect(await redis.ttl(`${prefix}apq:${hash}`)).toBeGreaterThan(0);

    const second = apolloClient(b.url);
    const result = await second.client.query({ query: TASKS, variables: { first: 2 }, fetchPolicy: "network-only" });
    expect(result.data?.tasks.edges).toHaveLength(2);
    expect(second.sent.map((s) => s.body.query)).toEqual([undefined]);
  });
});
