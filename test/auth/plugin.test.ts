/**
 * Who may do what, through the real wiring (`startApp`) against a credentialed upstream (the
 * emulator on loopback): API keys and JWTs from a JWKS, 401 without valid credentials, FORBIDDEN
 * without the scope, and neither costs an upstream call.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { RunningEmulator } from "../../src/emulator/types.js";
import { startIdentityProvider, TEST_AUDIENCE, TEST_ISSUER, type TestIdentityProvider } from "../helpers/jwks-server.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const NOW = Date.now();
const CREATE_INPUT = { type: "FLOW", startTime: iso(NOW - 3 * DAY), endTime: iso(NOW - 2 * DAY) };

const TASKS = "query Tasks { tasks(first: 3) { totalCount edges { node { id taskId } } } }";
const CREATE = "mutation Create($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }";
const DELETE = 'mutation Delete { deleteExportTask(input: { kind: USAGE_DETAIL, taskId: "0" }) { deletedTaskId } }';

const KEYS = {
  reader: "reader-key-5f1c2a9e7b",
  creator: "creator-key-0d8e4b6a21",
};

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe("authentication and scopes over HTTP", () => {
  let emulator: RunningEmulator;
  let idp: TestIdentityProvider;
  let h: ServerHarness;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, historySize: 10, quotaPerSecond: 10_000 });
    idp = await startIdentityProvider();
    h = await startServerHarness({
      env: {
        ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.accessKeySecret,
        CDN_ENDPOINT: emulator.url,
        CDN_CACHE_TTL_MS: "0",
        GATEWAY_API_KEYS: JSON.stringify([
          { name: "reader", key: KEYS.reader, scopes: ["export:read"] },
          { name: "creator", key: KEYS.creator, scopes: ["export:create"] },
        ]),
        GATEWAY_JWKS_URL: idp.jwksUrl,
        GATEWAY_JWT_ISSUER: TEST_ISSUER,
        GATEWAY_JWT_AUDIENCE: TEST_AUDIENCE,
      },
    });
  });
  afterAll(async () => {
    await h.close();
    await idp.close();
    await emulator.close();
  });
  beforeEach(() => {
    emulator.resetStats();
  });

  it("auth is required against a real upstream (no GATEWAY_AUTH given)", () => {
    expect(h.config.auth.mode).toBe("required");
  });

  it("no or bad credentials: 401 UNAUTHENTICATED with WWW-Authenticate, no upstream call", async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: "Basic dXNlcjpwYXNz" },
      { authorization: "Bearer" },
      bearer(`${KEYS.reader}x`),
      bearer(await idp.token({ scope: "export:read", expired: true })),
      bearer(await idp.token({ scope: "export:read", forged: true })),
      bearer(await idp.token({ scope: "export:read", audience: "someone-else" })),
      bearer(await idp.token({ scope: "export:read", issuer: "https://evil.test/" })),
      bearer("not.a.jwt"),
    ];
    for (const headers of attempts) {
      const res = await postGraphQL(h.url, TASKS, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
      expect(res.body.data).toBeUndefined();
    }
    expect(emulator.stats().total).toBe(0);
    // Refusals are logged with a reason, never with the credential.
    const refusals = h.logs.records().filter((r) => r.msg === "authentication refused");
    expect(refusals.length).toBeGreaterThanOrEqual(attempts.length);
    expect(h.logs.lines.join("")).not.toContain(KEYS.reader);
  });

  it("an API key with export:read reads; the same key cannot create or delete (FORBIDDEN, no upstream call)", async () => {
    const read = await postGraphQL(h.url, TASKS, { headers: bearer(KEYS.reader) });
    expect(read.status).toBe(200);
    expect(read.body.errors).toBeUndefined();
    expect(emulator.stats().total).toBeGreaterThan(0);

    emulator.resetStats();
    const create = await postGraphQL(h.url, CREATE, { headers: bearer(KEYS.reader), variables: { i: CREATE_INPUT } });
    expect(create.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", requiredScopes: ["export:create"] });
    const invalid = await postGraphQL(h.url, CREATE, { headers: bearer(KEYS.reader), variables: { i: { ...CREATE_INPUT, endTime: "yesterday" } } });
    expect(invalid.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const remove = await postGraphQL(h.url, DELETE, { headers: bearer(KEYS.reader) });
    expect(remove.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", requiredScopes: ["export:delete"] });
    expect(emulator.stats().total).toBe(0);
  });

  it("a key without export:read is FORBIDDEN on tasks, task, node and _entities, with no upstream call", async () => {
    const id = Buffer.from("ExportTask:USAGE_DETAIL:1").toString("base64");
    const queries = [
      TASKS,
      '{ task(taskId: "1") { taskId } }',
      `{ node(id: "${id}") { id } }`,
      '{ _entities(representations: [{ __typename: "ExportTask", kind: "USAGE_DETAIL", taskId: "1" }]) { ... on ExportTask { taskId } } }',
    ];
    for (const query of queries) {
      const res = await postGraphQL(h.url, query, { headers: bearer(KEYS.creator) });
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", requiredScopes: ["export:read"] });
    }
    expect(emulator.stats().total).toBe(0);
  });

  it("a JWT's scope claim decides: export:read reads, export:create creates; the JWKS is fetched once", async () => {
    const reader = await idp.token({ subject: "dashboard", scope: "export:read" });
    const read = await postGraphQL(h.url, TASKS, { headers: bearer(reader) });
    expect(read.status).toBe(200);
    expect(read.body.errors).toBeUndefined();
    const refused = await postGraphQL(h.url, CREATE, { headers: bearer(reader), variables: { i: CREATE_INPUT } });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(emulator.stats().calls.CreateUsageDetailDataExportTask).toBeUndefined();

    const creator = await idp.token({ subject: "exporter", scope: "export:read export:create" });
    const created = await postGraphQL(h.url, CREATE, { headers: bearer(creator), variables: { i: CREATE_INPUT } });
    expect(created.body.errors).toBeUndefined();
    expect(emulator.stats().calls.CreateUsageDetailDataExportTask).toBe(1);

    const noScope = await idp.token({ subject: "nobody" });
    const none = await postGraphQL(h.url, TASKS, { headers: bearer(noScope) });
    expect(none.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(idp.requests).toBe(1);
  });

  it("an API key and a JWT subject with the same name are two callers: one idempotency key makes two tasks", async () => {
    const sameName = await idp.token({ subject: "creator", scope: "export:create" });
    const variables = { i: { ...CREATE_INPUT, idempotencyKey: randomUUID() } };
    const taskId = (body: { data?: unknown }): string | undefined => (body.data as { createUsageExport?: { taskId: string } } | null)?.createUsageExport?.taskId;

    const byKey = await postGraphQL(h.url, CREATE, { headers: bearer(KEYS.creator), variables });
    const byJwt = await postGraphQL(h.url, CREATE, { headers: bearer(sameName), variables });
    expect(byKey.body.errors).toBeUndefined();
    expect(byJwt.body.errors).toBeUndefined();
    expect(taskId(byKey.body)).toBeDefined();
    expect(taskId(byJwt.body)).toBeDefined();
    expect(taskId(byJwt.body)).not.toBe(taskId(byKey.body));
    expect(emulator.stats().calls.CreateUsageDetailDataExportTask).toBe(2);

    // Each caller still gets its own replay.
    const replay = await postGraphQL(h.url, CREATE, { headers: bearer(sameName), variables });
    expect(taskId(replay.body)).toBe(taskId(byJwt.body));
    expect(emulator.stats().calls.CreateUsageDetailDataExportTask).toBe(2);
  });
});

describe("with the emulator and nothing configured", () => {
  it("auth is off: an anonymous caller may read", async () => {
    const h = await startServerHarness();
    try {
      expect(h.config.auth.mode).toBe("off");
      const res = await postGraphQL(h.url, TASKS);
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});
