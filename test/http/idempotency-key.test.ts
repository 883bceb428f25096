/**
 * Idempotent creates through the real wiring without Redis (in-process store): the input key or
 * the Idempotency-Key header, replay, reuse with another payload, a twin in flight, keys scoped
 * to the caller — counted on the emulator, which is the only place a task can come from.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { idempotencyRunnerFor } from "../../src/http/idempotency-key.js";
import { idempotencyFingerprint } from "../../src/state/fingerprint.js";
import type { IdempotencyStore } from "../../src/state/idempotency.js";
import { createMemoryIdempotencyStore } from "../../src/state/idempotency-memory.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const NOW = Date.now();
const INPUT = { type: "FLOW", startTime: iso(NOW - 5 * DAY), endTime: iso(NOW - 4 * DAY) };
const USER_INPUT = { startTime: iso(NOW - 5 * DAY), endTime: iso(NOW - 4 * DAY) };

const CREATE = "mutation Create($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId startTime endTime } }";
const CREATE_USER = "mutation CreateUser($i: CreateUserUsageExportInput!) { createUserUsageExport(input: $i) { taskId } }";
const CREATE_ACTION = "CreateUsageDetailDataExportTask";

const KEYS = { alice: "alice-key-3b9f0e21c4", bob: "bob-key-8a7d6c5e4f" };
const as = (key: string, extra: Record<string, string> = {}): { headers: Record<string, string> } => ({
  headers: { authorization: `Bearer ${key}`, ...extra },
});

interface CreateBody {
  createUsageExport?: { taskId: string };
  createUserUsageExport?: { taskId: string };
}

describe("idempotent creates, in-process store", () => {
  let h: ServerHarness;
  const creates = (action = CREATE_ACTION): number => h.emulator!.stats().calls[action] ?? 0;

  beforeAll(async () => {
    h = await startServerHarness({
      env: {
        GATEWAY_API_KEYS: JSON.stringify([
          { name: "alice", key: KEYS.alice, scopes: ["export:read", "export:create"] },
          { name: "bob", key: KEYS.bob, scopes: ["export:read", "export:create"] },
        ]),
      },
    });
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.emulator!.setFaults({});
    h.emulator!.resetStats();
  });

  it("runs in memory without REDIS_URL", () => {
    expect(h.state.mode).toBe("memory");
  });

  it("the same input key and payload returns the first result without a new task", async () => {
    const key = randomUUID();
    const first = await postGraphQL(h.url, CREATE, { ...as(KEYS.alice), variables: { i: { ...INPUT, idempotencyKey: key } } });
    const again = await postGraphQL(h.url, CREATE, { ...as(KEYS.alice), variables: { i: { ...INPUT, idempotencyKey: key } } });
    expect(first.body.errors).toBeUndefined();
    expect(again.body).toEqual(first.body);
    expect(creates()).toBe(1);
  });

  it("the Idempotency-Key header works the same, also for createUserUsageExport", async () => {
    const key = randomUUID();
    const first = await postGraphQL(h.url, CREATE_USER, { ...as(KEYS.alice, { "idempotency-key": key }), variables: { i: USER_INPUT } });
    const again = await postGraphQL(h.url, CREATE_USER, { ...as(KEYS.alice, { "idempotency-key": key }), variables: { i: USER_INPUT } });
    expect(first.body.errors).toBeUndefined();
    expect((again.body.data as CreateBody).createUserUsageExport?.taskId).toBe((first.body.data as CreateBody).createUserUsageExport?.taskId);
    expect(creates("CreateUserUsageDataExportTask")).toBe(1);
    // The same key on the other mutation is another request: refused, not replayed.
    const other = await postGraphQL(h.url, CREATE, { ...as(KEYS.alice, { "idempotency-key": key }), variables: { i: INPUT } });
    expect(other.body.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(creates()).toBe(0);
  });

  it("the same payload with its fields in another order is the same request: replayed", async () => {
    const key = randomUUID();
    const reordered = { idempotencyKey: key, endTime: INPUT.endTime, startTime: INPUT.startTime, type: INPUT.type };
    const first = await postGraphQL(h.url, CREATE, { ...as(KEYS.alice), variables: { i: { ...INPUT, idempotencyKey: key } } });
    const again = await postGraphQL(h.url, CREATE, { ...as(KEYS.alice), variables: { i: reordered } });
    expect(first.body.errors).toBeUndefined();
    expect(again.body).toEqual(first.body);
    expect(creates()).toBe(1);
  });

  it("the same key with another payload is IDEMPOTENCY_KEY_REUSED and creates nothing", async () => {
    const key = randomUUID();
    await postGraphQL(h.url, CREATE, { ...as(KEYS.alice), variables: { i: { ...INPUT, idempotencyKey: key } } });
    const reused = await postGraphQL(h.url, CREATE, { ...as(KEYS.alice), variables: { i: { ...INPUT, type: "VAS", idempotencyKey: key } } });
    expect(reused.body.errors?.map((e) => e.extensions?.code)).toEqual(["IDEMPOTENCY_KEY_REUSED"]);
    expect(creates()).toBe(1);
  });

  it("a duplicate while the first is still in flight gets IDEMPOTENCY_IN_PROGRESS", async () => {
    const key = randomUUID();
    h.emulator!.setFaults({ latencyMs: 3_000 });
    const first = postGraphQL(h.url, CREATE, { ...as(KEYS.alice), variables: { i: { ...INPUT, idempotencyKey: key } } });
    // The emulator counts a call when it arrives, before its latency: the first is now in flight.
    await expect.poll(() => creates(), { timeout: 10_000, interval: 20 }).toBe(1);
    const twin = await postGraphQL(h.url, CREATE, { ...as(KEYS.alice), variables: { i: { ...INPUT, idempotencyKey: key } } });
    expect(twin.body.errors?.[0]?.extensions).toMatchObject({ code: "IDEMPOTENCY_IN_PROGRESS" });
    expect(twin.body.errors?.[0]?.extensions?.retryAfterMs).toBeTypeOf("number");
    expect((await first).body.errors).toBeUndefined();
    expect(creates()).toBe(1);
  });

  it("keys are scoped to the caller: two callers with one key get two tasks", async () => {
    const key = randomUUID();
    const a = await postGraphQL(h.url, CREATE, { ...as(KEYS.alice), variables: { i: { ...INPUT, idempotencyKey: key } } });
    const b = await postGraphQL(h.url, CREATE, { ...as(KEYS.bob), variables: { i: { ...INPUT, idempotencyKey: key } } });
    const ids = [a, b].map((r) => (r.body.data as CreateBody).createUsageExport?.taskId);
    expect(ids[0]).toBeDefined();
    expect(ids[1]).toBeDefined();
    expect(ids[0]).not.toBe(ids[1]);
    expect(creates()).toBe(2);
  });

  it("50 concurrent creates with one key make exactly one upstream task", async () => {
    const key = randomUUID();
    h.emulator!.setFaults({ latencyMs: 300 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => postGraphQL(h.url, CREATE, { ...as(KEYS.alice, { "idempotency-key": key }), variables: { i: INPUT } })),
    );
    expect(creates()).toBe(1);
    const taskIds = new Set(responses.flatMap((r) => ((r.body.data as CreateBody | null)?.createUsageExport?.taskId ?? []) as string[]));
    expect(taskIds.size).toBe(1);
    for (const r of responses) {
      const code = r.body.errors?.[0]?.extensions?.code;
      expect(code === undefined || code === "IDEMPOTENCY_IN_PROGRESS").toBe(true);
    }
  });

  it("without a key every create is a new task", async () => {
    await postGraphQL(h.url, CREATE, { ...as(KEYS.alice), variables: { i: INPUT } });
    await postGraphQL(h.url, CREATE, { ...as(KEYS.alice), variables: { i: INPUT } });
    expect(creates()).toBe(2);
  });

  it("an unusable header key is BAD_USER_INPUT before any upstream call", async () => {
    const res = await postGraphQL(h.url, CREATE, { ...as(KEYS.alice, { "idempotency-key": "k".repeat(300) }), variables: { i: INPUT } });
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "idempotencyKey" });
    expect(creates()).toBe(0);
  });
});

describe("the idempotency runner's fingerprint", () => {
  /** The memory store, telling which fingerprint each begin stored. */
  function recordingStore(): { store: IdempotencyStore; fingerprints: string[] } {
    const inner = createMemoryIdempotencyStore();
    const fingerprints: string[] = [];
    const store: IdempotencyStore = {
      begin: (scope, key, fingerprint, leaseMs) => {
        fingerprints.push(fingerprint);
        return inner.begin(scope, key, fingerprint, leaseMs);
      },
      complete: (scope, key, fingerprint, result) => inner.complete(scope, key, fingerprint, result),
      abandon: (scope, key) => inner.abandon(scope, key),
    };
    return { store, fingerprints };
  }

  it("is the canonical one: key order, nested too, does not matter; another input does", async () => {
    const { store, fingerprints } = recordingStore();
    const runner = idempotencyRunnerFor({ store, scope: "apikey:alice" });
    const input = { type: "flow", startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z", domainNames: ["a.example.com"], extra: { b: 1, a: 2 } };
    const reordered = { extra: { a: 2, b: 1 }, domainNames: ["a.example.com"], endTime: input.endTime, startTime: input.startTime, type: "flow" };
    let runs = 0;
    const create = (): Promise<{ taskId: string }> => Promise.resolve({ taskId: `t-${++runs}` });

    await expect(runner.run("k1", { operation: "createUsageExport", input }, create)).resolves.toEqual({ taskId: "t-1" });
    await expect(runner.run("k1", { operation: "createUsageExport", input: reordered }, create)).resolves.toEqual({ taskId: "t-1" });
    expect(runs).toBe(1);
    expect(fingerprints).toEqual([idempotencyFingerprint("createUsageExport", input), idempotencyFingerprint("createUsageExport", input)]);

    await expect(runner.run("k1", { operation: "createUsageExport", input: { ...input, type: "vas" } }, create)).rejects.toMatchObject({
      extensions: { code: "IDEMPOTENCY_KEY_REUSED" },
    });
    await expect(runner.run("k1", { operation: "createUserUsageExport", input }, create)).rejects.toMatchObject({
      extensions: { code: "IDEMPOTENCY_KEY_REUSED" },
    });
    expect(runs).toBe(1);
  });
});
