import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { createRedisIdempotencyStore } from "../../src/state/idempotency-redis.js";
import { createRedisConnections } from "../../src/state/redis.js";
import { runIdempotent } from "../../src/state/run-idempotent.js";
import { closedPort, redisReachable, TEST_REDIS_URL } from "../helpers/redis.js";

const hasRedis = await redisReachable();

describe.skipIf(!hasRedis)("redis connections (Redis up)", () => {
  it("connects both connections, reports healthy, and not after close", async () => {
    const connections = createRedisConnections(TEST_REDIS_URL, { connectionName: "test-redis-factory" });
    expect(connections.isRedisHealthy()).toBe(false); // lazy: nothing before connect()
    expect(await connections.connect()).toBe(true);
    expect(connections.isRedisHealthy()).toBe(true);
    expect(await connections.commands.ping()).toBe("PONG");
    expect(await connections.commands.client("GETNAME")).toBe("test-redis-factory");
    await connections.close();
    expect(connections.isRedisHealthy()).toBe(false);
  });
});

describe("redis connections (Redis down)", () => {
  it("start-up does not throw, health says down, state commands fail at once instead of queueing", async () => {
    const errors: Error[] = [];
    const connections = createRedisConnections(`redis://127.0.0.1:${await closedPort()}`, { onError: (e) => errors.push(e) });
    try {
      expect(await connections.connect()).toBe(false);
      expect(connections.isRedisHealthy()).toBe(false);
      expect(errors.length).toBeGreaterThan(0);
      await expect(connections.commands.get("anything")).rejects.toThrow();

      // An idempotent mutation fails closed with a retryable error, and never runs.
      let runs = 0;
      const store = createRedisIdempotencyStore({ redis: connections.commands });
      const failure = await runIdempotent({
        store,
        scope: "s",
        key: "k",
        fingerprint: "fp",
        run: () => Promise.resolve((runs += 1)),
      }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(GraphQLError);
      expect((failure as GraphQLError).extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });
      expect(runs).toBe(0);
    } finally {
      await connections.close();
    }
  });
});
