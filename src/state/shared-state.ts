/**
 * The state replicas share (`REDIS_URL`): the upstream quota's permits, page-cache invalidations,
 * idempotency records and automatic persisted queries. With Redis they live there, so every replica sees the same permits and
 * the same keys; without it, in-process versions with the same behaviour serve one replica (the
 * upstream client's quota keeps its permits in process when there is no `quotaStore`).
 *
 * Redis down does not stop the gateway: reads keep flowing (the quota falls back to this
 * replica's share, invalidations stay local), creates with an idempotency key fail closed, and
 * the outage is logged once and reported by /ready as `redis: failed` (degraded, still ready).
 */
import type { Logger } from "pino";
import { createLocalInvalidationBus, createRedisInvalidationBus, type InvalidationBus } from "./invalidation-bus.js";
import type { IdempotencyStore } from "./idempotency.js";
import { createMemoryIdempotencyStore } from "./idempotency-memory.js";
import { createRedisIdempotencyStore } from "./idempotency-redis.js";
import type { PermitStore } from "./quota/permit-store.js";
import { RedisPermitStore } from "./quota/redis-permit-store.js";
import type { RedisConnections } from "./redis.js";
import { createMemoryPersistedQueryStore, createRedisPersistedQueryStore, type PersistedQueryStore } from "./persisted-queries.js";

/** A health probe of the shared state, in the shape /ready runs (observability/readiness.ts). */
export interface SharedStateCheck {
  name: string;
  /** false: a failure leaves the replica ready but degraded. */
  critical: boolean;
  check: () => Promise<boolean>;
}

export interface SharedStateOptions {
  /** `REDIS_URL` (revealed); null = in-process state. */
  redisUrl: string | null;
  /** Namespace of every key and channel; replicas that share it share state. */
  keyPrefix: string;
  logger: Pick<Logger, "info" | "warn">;
  /** CLIENT SETNAME of the connections. */
  connectionName?: string;
  now?: () => number;
}

export interface SharedState {
  readonly mode: "redis" | "memory";
  /** Upstream call permits shared by all replicas, in Redis mode; null in memory mode. */
  readonly quotaStore: PermitStore | null;
  readonly bus: InvalidationBus;
  readonly idempotency: IdempotencyStore;
  /** Automatic persisted queries' documents by hash (bounded LRU in memory mode). */
  readonly persistedQueries: PersistedQueryStore;
  /** `redis` (non-critical) in Redis mode; none in memory mode. */
  readonly readinessChecks: readonly SharedStateCheck[];
  /** The connections, in Redis mode (tests, diagnostics). */
  readonly redis: RedisConnections | null;
  /** Stops listening and closes the connections. Idempotent. */
  close(): Promise<void>;
}

export async function createSharedState(options: SharedStateOptions): Promise<SharedState> {
  const { logger } = options;
  const onBusError = (error: unknown): void => logger.warn({ err: error }, "page cache invalidation failed");
  if (options.redisUrl === null) {
    const bus = createLocalInvalidationBus({ onError: onBusError });
    return {
      mode: "memory",
      quotaStore: null,
      bus,
      idempotency: createMemoryIdempotencyStore(options.now ? { now: options.now } : {}),
      persistedQueries: createMemoryPersistedQueryStore(),
      readinessChecks: [],
      redis: null,
      close: () => bus.close(),
    };
  }

  const outage = outageLog(logger);
  let closing = false;
  // Loaded only with REDIS_URL: a single replica never pays ioredis's start-up time and memory.
  const { createRedisConnections } = await import("./redis.js");
  const redis = createRedisConnections(options.redisUrl, {
    connectionName: options.connectionName ?? "cdn-export-gateway",
    onError: outage.down,
  });
  for (const connection of [redis.commands, redis.subscriber]) {
    connection.on("ready", outage.up);
    // A dropped connection is an outage from the first moment, before any reconnect error.
    connection.on("close", () => {
      if (!closing) outage.down(null);
    });
  }
  if (!(await redis.connect())) outage.down(null);
  else logger.info({ keyPrefix: options.keyPrefix }, "shared state on Redis: quota, idempotency keys and cache invalidation are shared by all replicas");

  const bus = createRedisInvalidationBus({
    publisher: redis.commands,
    subscriber: redis.subscriber,
    channel: `${options.keyPrefix}page-invalidation`,
    onError: onBusError,
  });
  let closed: Promise<void> | null = null;
  return {
    mode: "redis",
    quotaStore: new RedisPermitStore({ redis: redis.commands, keyPrefix: `${options.keyPrefix}quota` }),
    bus,
    idempotency: createRedisIdempotencyStore({ redis: redis.commands, prefix: options.keyPrefix }),
    persistedQueries: createRedisPersistedQueryStore({ redis: redis.commands, prefix: options.keyPrefix }),
    readinessChecks: [{ name: "redis", critical: false, check: () => Promise.resolve(redis.isRedisHealthy()) }],
    redis,
    close() {
      closing = true;
      closed ??= (async () => {
        await bus.close();
        await redis.close();
      })();
      return closed;
    },
  };
}

/**
 * One warning when Redis goes away and one line when it is back, not one per reconnect attempt.
 * Only the error's class and code are logged: its message may name the host.
 */
function outageLog(logger: Pick<Logger, "info" | "warn">): { down: (error: Error | null) => void; up: () => void } {
  let down = false;
  return {
    down(error) {
      if (down) return;
      down = true;
      const code = (error as { code?: unknown } | null)?.code;
      logger.warn(
        { redis: "unavailable", ...(typeof code === "string" ? { code } : {}) },
        "Redis unavailable: still serving reads; creates with an idempotency key are refused and the upstream quota is per replica until it is back",
      );
    },
    up() {
      if (!down) return;
      down = false;
      logger.info({ redis: "available" }, "Redis connection restored: shared state is back");
    },
  };
}
