/**
 * Live task status for `exportTaskUpdated`: the hub as the gateway runs it. Without Redis one
 * process polls what its subscribers watch; with Redis one replica per task polls and the others
 * follow over pub/sub (redis-watch-coordinator.ts).
 */
import type { RedisClient } from "../state/redis.js";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { CdnExportApi } from "../upstream/types.js";
import { taskWatchMetrics } from "./live-metrics.js";
import { createRedisWatchCoordinator } from "./redis-watch-coordinator.js";
import { createTaskReader } from "./task-reader.js";
import { createTaskWatchHub, type TaskWatchHub } from "./task-watch-hub.js";

export { createTaskWatchHub, type TaskWatchHub, type TaskWatchHubOptions, type TaskWatchStats } from "./task-watch-hub.js";
export { createTaskReader, type TaskReader } from "./task-reader.js";
export { createRedisWatchCoordinator, type RedisWatchCoordinatorOptions } from "./redis-watch-coordinator.js";
export { createLocalCoordinator, type WatchCoordinator } from "./watch-coordinator.js";
export type { TaskUpdate } from "./task-update.js";

export interface GatewayTaskWatchOptions {
  /** The shared (cached, quota'd) API every resolver uses: polls cost what queries cost. */
  api: CdnExportApi;
  pollMinMs: number;
  pollMaxMs: number;
  logger: Pick<Logger, "warn" | "debug">;
  /** Metrics registry for `live_subscribers` / `live_polls_total`. */
  registry?: Registry;
  /** Connections and namespace shared by the replicas; null/absent = this process alone. */
  redis?: { commands: RedisClient; subscriber: RedisClient; keyPrefix: string } | null;
}

export function createGatewayTaskWatch(options: GatewayTaskWatchOptions): TaskWatchHub {
  const { logger, redis } = options;
  return createTaskWatchHub({
    read: createTaskReader(options.api),
    minIntervalMs: options.pollMinMs,
    maxIntervalMs: options.pollMaxMs,
    ...(options.registry ? { observer: taskWatchMetrics(options.registry) } : {}),
    ...(redis
      ? {
          coordinator: createRedisWatchCoordinator({
            commands: redis.commands,
            subscriber: redis.subscriber,
            keyPrefix: `${redis.keyPrefix}task-watch:`,
            // Twice the longest poll gap: a follower joining between polls still finds the state.
            stateTtlMs: Math.max(60_000, options.pollMaxMs * 2),
            // Redis outages are logged once by the shared state; per-command failures are detail.
            onError: (error) => logger.debug({ err: error }, "task watch coordination failed"),
          }),
        }
      : {}),
    onPollError: (error, key) => logger.warn({ err: error, kind: key.kind, taskId: key.taskId }, "task watch poll failed; retrying"),
  });
}
