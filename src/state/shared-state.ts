/**
 * The state replicas share (`REDIS_URL`, `REDIS_SENTINELS` or `REDIS_CLUSTER_NODES`): the
 * upstream quota's permits, page reads (the page cache's second tier), page-cache invalidations,
 * idempotency records and automatic persisted queries. With Redis they live there, so every
 * replica sees the same permits, pages and keys; without it, in-process versions with the same behaviour serve one replica (the
 * upstream client's quota keeps its permits in process when there is no `quotaStore`).
 *
 * Redis down does not stop the gateway: reads keep flowing (straight to the upstream, the quota
 * on this replica's share, invalidations local), creates with an idempotency key fail closed,
 * and the outage is logged once and reported by /ready as `redis: failed` (degraded, still ready).
 */
import type { Logger } from "pino";
import { createLocalInvalidationBus, createRedisInvalidationBus, type InvalidationBus } from "./invalidation-bus.js";
import type { IdempotencyStore } from "./idempotency.js";
import { createMemoryIdempotencyStore } from "./idempotency-memory.js";
import { createRedisIdempotencyStore } from "./idempotency-redis.js";
import type { PermitStore } from "../upstream/quota/permit-store.js";
import { RedisPermitStore } from "./quota/redis-permit-store.js";
import type { RedisConnections, RedisTarget } from "./redis.js";
import { createSharedReads, type SharedReads } from "./shared-reads.js";
import { createMemoryPersistedQueryStore, createRedisPersistedQueryStore, type PersistedQueryStore } from "./persisted-queries.js";

/** A health probe of the shared state, in the shape /ready runs (observability/readiness.ts). */
export interface SharedStateCheck {
  name: string;
  /** false: a failure leaves the replica ready but degraded. */
  critical: boolean;
  check: () => Promise<boolean>;
}

export interface SharedStateOptions {
  /** Where Redis is (credentials revealed); null = in-process state. */
  redis: RedisTarget | null;
  /** Namespace of every key and channel; replicas that share it share state. */
  keyPrefix: string;
  logger: Pick<Logger, "info" | "warn" | "debug">;
  /** CLIENT SETNAME of the connections. */
  connectionName?: string;
  now?: () => number;
}

export interface SharedState {
  readonly mode: "redis" | "memory";
  /** Upstream call permits shared by all replicas, in Redis mode; null in memory mode. */
  readonly quotaStore: PermitStore | null;
  readonly bus: InvalidationBus;
  /** Page reads shared by replicas, in Redis mode; null in memory mode. */
  readonly reads: SharedReads | null;
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
  if (options.redis === null) {
    const bus = createLocalInvalidationBus({ onError: onBusError });
    return {
      mode: "memory",
      quotaStore: null,
      bus,
      reads: null,
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
  const redis = createRedisConnections(options.redis, {
    connectionName: options.connectionName ?? "cdn-export-gateway",
    onError: outage.down,
  });
  for (const connection of new Set([redis.commands, redis.subscriber, redis.claims])) {
    connection.on("ready", outage.up);
    // A dropped connection is an outage from the first moment, before any reconnect error.
    connection.on("close", () => {
      if (!closing) outage.down(null);
    });
  }
  if (!(await redis.connect())) outage.down(null);
  else logger.info({ keyPrefix: options.keyPrefix, redisMode: redis.mode }, "shared state on Redis: quota, page reads, idempotency keys and cache invalidation are shared by all replicas");

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
    reads: createSharedReads({
      redis: redis.commands,
      keyPrefix: options.keyPrefix,
      onError: (error) => logger.debug({ err: error }, "shared page read skipped Redis"),
    }),
    idempotency: createRedisIdempotencyStore({
      redis: redis.claims,
      prefix: options.keyPrefix,
      writesReplicated: (timeoutMs) => redis.writesReplicated(timeoutMs),
    }),
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
        "Redis unavailable: still serving reads (from the upstream); creates with an idempotency key are refused and the upstream quota is this replica's share until it is back",
      );
    },
    up() {
      if (!down) return;
      down = false;
      logger.info({ redis: "available" }, "Redis connection restored: shared state is back");
    },
  };
}
