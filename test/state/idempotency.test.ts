import { GraphQLError } from "graphql";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idempotencyFingerprint } from "../../src/state/fingerprint.js";
import type { IdempotencyStore } from "../../src/state/idempotency.js";
import { createMemoryIdempotencyStore } from "../../src/state/idempotency-memory.js";
import { createRedisIdempotencyStore } from "../../src/state/idempotency-redis.js";
import { createRedisClient } from "../../src/state/redis.js";
import { runIdempotent } from "../../src/state/run-idempotent.js";
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";

const hasRedis = await redisReachable();

interface Payload {
  taskId: string;
  startTime: string;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function codeOf(error: unknown): unknown {
  return error instanceof GraphQLError ? error.extensions["code"] : undefined;
}

const input = { type: "flow", startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z", idempotencyKey: "k" };
const fingerprint = idempotencyFingerprint("createUsageExport", input);

/** The same behaviour, whichever store: `replicas` are two handles on one shared state. */
function idempotencySuite(name: string, replicas: () => readonly [IdempotencyStore, IdempotencyStore]): void {
  describe(name, () => {
    it("runs once for 50 concurrent requests across two replicas; the rest are IN_PROGRESS, a retry gets the result", async () => {
      const [a, b] = replicas();
      const key = "concurrent-1";
      let runs = 0;
      let settled = 0;
      const started = deferred();
      const allOthersSettled = deferred();
      const gate = deferred();
      const run = async (): Promise<Payload> => {
        runs += 1;
        started.resolve();
        await gate.promise;
        return { taskId: "task-1", startTime: "2024-01-01T00:00:00Z" };
      };
      const onSettled = (): void => {
        settled += 1;
        if (settled === 49) allOthersSettled.resolve();
      };
      const calls = Array.from({ length: 50 }, (_, i) => {
        const call = runIdempotent({ store: i % 2 === 0 ? a : b, scope: "dashboard", key, fingerprint, run });
        call.then(onSettled, onSettled);
        return call;
      });
      const results = Promise.allSettled(calls);
      await started.promise;
      await allOthersSettled.promise; // the 49 losers answered while the winner was still running
      gate.resolve();
      const outcomes = await results;

      expect(runs).toBe(1);
      const fulfilled = outcomes.filter((r) => r.status === "fulfilled");
      const rejected = outcomes.filter((r) => r.status === "rejected");
      expect(fulfilled).toHaveLength(1);
      expect(rejected.map((r) => codeOf(r.reason))).toEqual(Array<string>(49).fill("IDEMPOTENCY_IN_PROGRESS"));
      const first = rejected[0]?.reason as GraphQLError;
      expect(first.extensions["retryAfterMs"]).toBeTypeOf("number");

      // A retry on either replica replays the stored result without running again.
      await expect(runIdempotent({ store: b, scope: "dashboard", key, fingerprint, run })).resolves.toEqual({
        taskId: "task-1",
        startTime: "2024-01-01T00:00:00Z",
      });
      await expect(runIdempotent({ store: a, scope: "dashboard", key, fingerprint, run })).resolves.toEqual({
        taskId: "task-1",
        startTime: "2024-01-01T00:00:00Z",
      });
      expect(runs).toBe(1);
    });

    it("refuses the same key with a different payload (IDEMPOTENCY_KEY_REUSED), done or in progress", async () => {
      const [a, b] = replicas();
      const other = idempotencyFingerprint("createUsageExport", { ...input, endTime: "2024-01-03T00:00:00Z" });
      await runIdempotent({ store: a, scope: "dashboard", key: "reuse-1", fingerprint, run: () => Promise.resolve({ taskId: "t" }) });
      await expect(
        runIdempotent({ store: b, scope: "dashboard", key: "reuse-1", fingerprint: other, run: () => Promise.resolve({ taskId: "x" }) }),
      ).rejects.toSatisfy((e) => codeOf(e) === "IDEMPOTENCY_KEY_REUSED");

      const gate = deferred();
      const running = runIdempotent({ store: a, scope: "dashboard", key: "reuse-2", fingerprint, run: () => gate.promise.then(() => 1) });
      await expect(
        runIdempotent({ store: b, scope: "dashboard", key: "reuse-2", fingerprint: other, run: () => Promise.resolve(2) }),
      ).rejects.toSatisfy((e) => codeOf(e) === "IDEMPOTENCY_KEY_REUSED");
      gate.resolve();
      await expect(running).resolves.toBe(1);
    });

    it("frees the key when the call fails, so a retry runs", async () => {
      const [a, b] = replicas();
      let attempts = 0;
      const run = (): Promise<{ taskId: string }> => {
        attempts += 1;
        return attempts === 1 ? Promise.reject(new Error("upstream unavailable")) : Promise.resolve({ taskId: "t-2" });
      };
      await expect(runIdempotent({ store: a, scope: "dashboard", key: "fail-1", fingerprint, run })).rejects.toThrow("upstream unavailable");
      await expect(runIdempotent({ store: b, scope: "dashboard", key: "fail-1", fingerprint, run })).resolves.toEqual({ taskId: "t-2" });
      await expect(runIdempotent({ store: a, scope: "dashboard", key: "fail-1", fingerprint, run })).resolves.toEqual({ taskId: "t-2" });
      expect(attempts).toBe(2);
    });

    it("keeps keys apart per scope (caller)", async () => {
      const [a, b] = replicas();
      let runs = 0;
      const run = (): Promise<number> => Promise.resolve((runs += 1));
      await expect(runIdempotent({ store: a, scope: "alice", key: "same", fingerprint, run })).resolves.toBe(1);
      await expect(runIdempotent({ store: b, scope: "bob", key: "same", fingerprint, run })).resolves.toBe(2);
      await expect(runIdempotent({ store: b, scope: "alice", key: "same", fingerprint, run })).resolves.toBe(1);
    });

    it("abandon never releases a finished record; complete never overwrites one", async () => {
      const [a, b] = replicas();
      expect(await a.begin("s", "fin-1", "fp", 60_000)).toEqual({ state: "new" });
      await a.complete("s", "fin-1", "fp", { n: 1 });
      await b.abandon("s", "fin-1");
      await b.complete("s", "fin-1", "fp", { n: 2 });
      expect(await b.begin("s", "fin-1", "fp", 60_000)).toEqual({ state: "done", result: { n: 1 } });
    });

    it("refuses an unusable key as BAD_USER_INPUT before touching the store", async () => {
      const [a] = replicas();
      for (const key of ["", "x".repeat(256), "tab\tkey", "ключ"]) {
        await expect(runIdempotent({ store: a, scope: "s", key, fingerprint, run: () => Promise.resolve(1) })).rejects.toSatisfy(
          (e) => codeOf(e) === "BAD_USER_INPUT",
        );
      }
    });
  });
}

idempotencySuite("memory store (one process)", () => {
  const store = createMemoryIdempotencyStore();
  return [store, store];
});

describe.skipIf(!hasRedis)("redis store (two connections = two replicas)", () => {
  const prefix = uniquePrefix("idempotency");
  let first: Redis;
  let second: Redis;
  beforeAll(async () => {
    first = createRedisClient(TEST_REDIS_URL);
    second = createRedisClient(TEST_REDIS_URL);
    await Promise.all([first.connect(), second.connect()]);
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(first, prefix);
    await Promise.all([first.quit(), second.quit()]);
  });

  idempotencySuite("shared semantics", () => [
    createRedisIdempotencyStore({ redis: first, prefix }),
    createRedisIdempotencyStore({ redis: second, prefix }),
  ]);

  it("keeps finished records for the retention period and claims only for the lease", async () => {
    const store = createRedisIdempotencyStore({ redis: first, prefix: `${prefix}ttl:` });
    await store.begin("s", "ttl-1", "fp", 45_000);
    const keys = await first.keys(`${prefix}ttl:idem:*`);
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    expect(await first.pttl(key)).toBeGreaterThan(30_000);
    expect(await first.pttl(key)).toBeLessThanOrEqual(45_000);
    await store.complete("s", "ttl-1", "fp", { ok: true });
    expect(await first.pttl(key)).toBeGreaterThan(23 * 60 * 60 * 1000);
  });

  it("a lapsed claim (replica died mid-call) lets the next request run", async () => {
    const store = createRedisIdempotencyStore({ redis: first, prefix });
    expect(await store.begin("s", "lapse-1", "fp", 1)).toEqual({ state: "new" });
    // PEXPIRE of 1 ms: poll (no fixed sleep) until Redis has expired it.
    let outcome = await store.begin("s", "lapse-1", "fp", 60_000);
    while (outcome.state === "in-progress") {
      await new Promise((r) => setTimeout(r, 5));
      outcome = await store.begin("s", "lapse-1", "fp", 60_000);
    }
    expect(outcome).toEqual({ state: "new" });
  });
});

describe("memory store housekeeping", () => {
  it("expires claims after the lease and results after retention (injected clock)", async () => {
    let now = 1_000;
    const store = createMemoryIdempotencyStore({ now: () => now, retentionMs: 10_000 });
    expect(await store.begin("s", "k", "fp", 500)).toEqual({ state: "new" });
    expect(await store.begin("s", "k", "fp", 500)).toEqual({ state: "in-progress" });
    now += 500;
    expect(await store.begin("s", "k", "fp", 500)).toEqual({ state: "new" });
    await store.complete("s", "k", "fp", ["r"]);
    now += 9_999;
    expect(await store.begin("s", "k", "fp", 500)).toEqual({ state: "done", result: ["r"] });
    now += 1;
    expect(await store.begin("s", "k", "fp", 500)).toEqual({ state: "new" });
  });

  it("lets only a claim's owner release it (when the release names one)", async () => {
    const store = createMemoryIdempotencyStore();
    await store.begin("s", "owned", "fp", 60_000, "owner-a");
    await store.abandon("s", "owned", "owner-b");
    expect(await store.begin("s", "owned", "fp", 60_000)).toEqual({ state: "in-progress" });
    await store.abandon("s", "owned", "owner-a");
    expect(await store.begin("s", "owned", "fp", 60_000)).toEqual({ state: "new" });
  });

  it("holds at most maxEntries records", async () => {
    const store = createMemoryIdempotencyStore({ maxEntries: 2 });
    await store.begin("s", "a", "fp", 60_000);
    await store.begin("s", "b", "fp", 60_000);
    await store.begin("s", "c", "fp", 60_000);
    expect(await store.begin("s", "a", "fp", 60_000)).toEqual({ state: "new" });
    expect(await store.begin("s", "c", "fp", 60_000)).toEqual({ state: "in-progress" });
  });
});

describe("idempotencyFingerprint", () => {
  it("ignores key order and the idempotency key, and tells operations and payloads apart", () => {
    const reordered = { idempotencyKey: "other", endTime: input.endTime, startTime: input.startTime, type: "flow" };
    expect(idempotencyFingerprint("createUsageExport", reordered)).toBe(fingerprint);
    expect(idempotencyFingerprint("createUserUsageExport", input)).not.toBe(fingerprint);
    expect(idempotencyFingerprint("createUsageExport", { ...input, type: "vas" })).not.toBe(fingerprint);
    expect(idempotencyFingerprint("createUsageExport", { ...input, group: undefined })).toBe(fingerprint);
    expect(idempotencyFingerprint("x", { a: { y: 1, x: [2, { d: 1, c: 2 }] } })).toBe(
      idempotencyFingerprint("x", { a: { x: [2, { c: 2, d: 1 }], y: 1 } }),
    );
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });
});
