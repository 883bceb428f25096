/**
 * Idempotent creates while the store fails over: a claim no replica acknowledged is released and
 * the request refused as retryable (UPSTREAM_UNAVAILABLE with retryAfterMs), before any upstream
 * call; a result that could not be stored is stored later, so a retry is told "in progress" and
 * then replays it, never running the create twice; so is a result no replica acknowledged, since
 * a failover would lose it. Against the real Redis (127.0.0.1:6379), and a private primary with a
 * replica that stalls (SIGSTOP) for WAIT.
 */
import { GraphQLError } from "graphql";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IdempotencyStore } from "../../src/state/idempotency.js";
import { createRedisIdempotencyStore, IdempotencyResultNotDurableError } from "../../src/state/idempotency-redis.js";
import { createRedisClient, writesReachedReplica } from "../../src/state/redis.js";
import { runIdempotent } from "../../src/state/run-idempotent.js";
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { redisServerAvailable, startRedisServer } from "../helpers/redis-servers.js";

const hasRedis = await redisReachable();

describe.skipIf(!hasRedis)("idempotent creates while the store fails over", () => {
  const prefix = uniquePrefix("idempotency-failover");
  let redis: Redis;
  beforeAll(async () => {
    redis = createRedisClient(TEST_REDIS_URL);
    await redis.connect();
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it("refuses, retryably and before any upstream call, a claim no replica acknowledged; the key stays free", async () => {
    let replicated = false;
    const store = createRedisIdempotencyStore({ redis, prefix, writesReplicated: () => Promise.resolve(replicated) });
    let runs = 0;
    const run = (): Promise<{ taskId: string }> => Promise.resolve({ taskId: `task-${(runs += 1)}` });
    const refused = await runIdempotent({ store, scope: "s", key: "not-durable", fingerprint: "fp", run }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GraphQLError);
    expect((refused as GraphQLError).extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", reason: "idempotency-store-unavailable", retryAfterMs: 1_000 });
    expect(runs).toBe(0);
    replicated = true;
    expect(await runIdempotent({ store, scope: "s", key: "not-durable", fingerprint: "fp", run })).toEqual({ taskId: "task-1" });
    expect(runs).toBe(1);
  });

  it("stores a result the store refused at first: a retry meanwhile is IN_PROGRESS, then replays it", async () => {
    const real = createRedisIdempotencyStore({ redis, prefix });
    let completeFailures = 1;
    const flaky: IdempotencyStore = {
      begin: (...args) => real.begin(...args),
      abandon: (...args) => real.abandon(...args),
      complete: (...args) => (completeFailures-- > 0 ? Promise.reject(new Error("READONLY (failover)")) : real.complete(...args)),
    };
    let runs = 0;
    const run = (): Promise<{ taskId: string }> => Promise.resolve({ taskId: `task-${(runs += 1)}` });
    const storeErrors: string[] = [];
    const first = await runIdempotent({ store: flaky, scope: "s", key: "late-complete", fingerprint: "fp", run, onStoreError: (_e, phase) => storeErrors.push(phase) });
    expect(first).toEqual({ taskId: "task-1" });
    const retryNow = await runIdempotent({ store: real, scope: "s", key: "late-complete", fingerprint: "fp", run }).catch((error: unknown) => error);
    expect((retryNow as GraphQLError).extensions?.["code"]).toBe("IDEMPOTENCY_IN_PROGRESS");
    await expect.poll(() => runIdempotent({ store: real, scope: "s", key: "late-complete", fingerprint: "fp", run }).catch(() => null), { timeout: 2_000 }).toEqual({ taskId: "task-1" });
    expect(runs).toBe(1);
    expect(storeErrors).toEqual(["complete"]);
  });

  it("a result only the primary took (the primary died before replicating it) is stored again: the key never yields two tasks", async () => {
    // Its own prefix, so that the one record here can be found by a scan.
    const recordPrefix = `${prefix}lost-result:`;
    let waits = 0;
    const store = createRedisIdempotencyStore({
      redis,
      prefix: recordPrefix,
      writesReplicated: async () => {
        waits += 1;
        if (waits !== 2) return true; // the claim (1st) and every later write reach the replica
        // The result (2nd): WAIT reports no replica, and the primary dies; the promoted replica
        // holds the claim only.
        const [record] = await redis.keys(`${recordPrefix}*`);
        await redis.hset(record ?? "", "s", "p");
        await redis.hdel(record ?? "", "r");
        return false;
      },
    });
    let runs = 0;
    const run = (): Promise<{ taskId: string }> => Promise.resolve({ taskId: `task-${(runs += 1)}` });
    const storeErrors: unknown[] = [];
    const leaseMs = 1_500;
    const keyed = { store, scope: "s", key: "lost-result", fingerprint: "fp", run, leaseMs };
    expect(await runIdempotent({ ...keyed, onStoreError: (error) => storeErrors.push(error) })).toEqual({ taskId: "task-1" });
    // Stored again in the background, well within the lease: a retry replays it...
    await expect.poll(() => runIdempotent(keyed).catch(() => null), { timeout: 1_000 }).toEqual({ taskId: "task-1" });
    // ...and still does once the lease has lapsed.
    await new Promise((resolve) => setTimeout(resolve, leaseMs));
    expect(await runIdempotent(keyed)).toEqual({ taskId: "task-1" });
    expect(runs).toBe(1);
    // Told once, as a failure to store; the store then took it at its first retry.
    expect(storeErrors).toHaveLength(1);
    expect(storeErrors[0]).toBeInstanceOf(IdempotencyResultNotDurableError);
  });

  it("a claim whose answer was lost (the primary died just after making it) is released by its owner, not held for the lease", async () => {
    const real = createRedisIdempotencyStore({ redis, prefix });
    const answerLost: IdempotencyStore = {
      begin: async (...args) => {
        await real.begin(...args); // made on the server...
        throw new Error("Connection is closed."); // ...but the answer never came
      },
      complete: (...args) => real.complete(...args),
      abandon: (...args) => real.abandon(...args),
    };
    let runs = 0;
    const run = (): Promise<{ taskId: string }> => Promise.resolve({ taskId: `task-${(runs += 1)}` });
    const refused = await runIdempotent({ store: answerLost, scope: "s", key: "lost-claim", fingerprint: "fp", run }).catch((error: unknown) => error);
    expect((refused as GraphQLError).extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", retryAfterMs: 1_000 });
    expect(runs).toBe(0);
    // Within a moment (not the 60 s lease) a retry runs, once.
    await expect.poll(() => runIdempotent({ store: real, scope: "s", key: "lost-claim", fingerprint: "fp", run }).catch(() => null), { timeout: 2_000 }).toEqual({ taskId: "task-1" });
    expect(runs).toBe(1);
  });

  it("only the claim's owner releases it", async () => {
    const store = createRedisIdempotencyStore({ redis, prefix });
    expect(await store.begin("s", "owned", "fp", 60_000, "owner-a")).toEqual({ state: "new" });
    await store.abandon("s", "owned", "owner-b");
    expect(await store.begin("s", "owned", "fp", 60_000, "owner-c")).toEqual({ state: "in-progress" });
    await store.abandon("s", "owned", "owner-a");
    expect(await store.begin("s", "owned", "fp", 60_000, "owner-c")).toEqual({ state: "new" });
  });
});

describe.skipIf(!redisServerAvailable())("a result no replica acknowledged (a real primary and a stalled replica)", () => {
  let primary: Awaited<ReturnType<typeof startRedisServer>>;
  let replica: Awaited<ReturnType<typeof startRedisServer>>;
  let claims: Redis;
  beforeAll(async () => {
    primary = await startRedisServer();
    replica = await startRedisServer({ replicaOf: primary });
    claims = createRedisClient(primary.url);
    await claims.connect();
  });
  afterAll(async () => {
    replica?.resume();
    claims?.disconnect();
    await replica?.dispose();
    await primary?.dispose();
  });

  it("is a failure to store: stored again in the background until WAIT finds it on the replica", async () => {
    const prefix = uniquePrefix("idempotency-wait");
    const real = createRedisIdempotencyStore({ redis: claims, prefix, writesReplicated: (timeoutMs) => writesReachedReplica(claims, timeoutMs), replicationTimeoutMs: 100 });
    const completes: Array<"stored" | "not durable"> = [];
    const store: IdempotencyStore = {
      begin: (...args) => real.begin(...args),
      abandon: (...args) => real.abandon(...args),
      complete: (...args) =>
        real.complete(...args).then(
          () => void completes.push("stored"),
          (error: unknown) => {
            completes.push("not durable");
            throw error;
          },
        ),
    };
    const storeErrors: unknown[] = [];
    // The claim reaches the replica; then the replica stalls while the task is created.
    const run = (): Promise<{ taskId: string }> => {
      replica.pause();
      return Promise.resolve({ taskId: "task-1" });
    };
    expect(await runIdempotent({ store, scope: "s", key: "stalled-replica", fingerprint: "fp", run, onStoreError: (error) => storeErrors.push(error) })).toEqual({ taskId: "task-1" });
    expect(completes).toEqual(["not durable"]);
    expect(storeErrors[0]).toBeInstanceOf(IdempotencyResultNotDurableError);
    await new Promise((resolve) => setTimeout(resolve, 300));
    replica.resume();
    await expect.poll(() => completes.at(-1), { timeout: 5_000 }).toBe("stored");
    // What a failover now would promote holds the result.
    const [record] = await replica.admin().keys(`${prefix}*`);
    expect(await replica.admin().hget(record ?? "", "s")).toBe("d");
    expect(storeErrors).toHaveLength(1);
  });
});
