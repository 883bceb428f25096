/**
 * ioredis connections for shared state: one Redis (`REDIS_URL`), a Sentinel-managed primary
 * (`REDIS_SENTINELS`: ioredis asks the sentinels for the primary and follows a failover itself)
 * or a Redis Cluster (`REDIS_CLUSTER_NODES`: ioredis's Cluster client routes each command by its
 * key's slot and follows MOVED/ASK). No failover logic of our own.
 *
 * Built to fail fast: while Redis is down (or a failover is under way), state commands are
 * refused at once instead of queueing, so reads keep being served, writes that need shared state
 * get a clear error, and `/ready` reports the outage. Reconnection runs in the background with
 * capped backoff and never gives up.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";

/** What every shared-state module talks to: a connection to one Redis, or to a Cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisAddress {
  host: string;
  port: number;
}

/** Where Redis is, with credentials revealed (the config holds them as secrets). */
export type RedisTarget =
  | { mode: "standalone"; url: string }
  | { mode: "sentinel"; sentinels: readonly RedisAddress[]; name: string; username?: string; password?: string }
  | { mode: "cluster"; nodes: readonly RedisAddress[]; username?: string; password?: string };

export type RedisRole = "commands" | "subscriber";

export interface RedisClientOptions {
  /** `subscriber` connections queue SUBSCRIBE until connected and retry it forever. */
  role?: RedisRole;
  /** CLIENT SETNAME, visible in `CLIENT LIST`. */
  connectionName?: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Connection errors (logs). Without a listener ioredis prints them to the console. */
  onError?: (error: Error) => void;
}

/** Reconnect soon after a failover (the new primary is usually up within seconds), at most every second. */
const reconnectDelay = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 5), 1_000);

export function redisOptions(options: RedisClientOptions = {}): RedisOptions {
  const subscriber = options.role === "subscriber";
  return {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    enableReadyCheck: true,
    // Commands fail immediately while disconnected; SUBSCRIBE waits for the connection.
    enableOfflineQueue: subscriber,
    maxRetriesPerRequest: subscriber ? null : 1,
    ...(subscriber ? {} : { commandTimeout: options.commandTimeoutMs ?? 2_000 }),
    retryStrategy: reconnectDelay,
    autoResubscribe: true,
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  };
}

/** One Redis or a Sentinel-managed primary: a `Redis`; a Cluster: a `Cluster`. */
export function createRedisClient(target: string | Exclude<RedisTarget, { mode: "cluster" }>, options?: RedisClientOptions): Redis;
export function createRedisClient(target: RedisTarget | string, options?: RedisClientOptions): RedisClient;
export function createRedisClient(target: RedisTarget | string, options: RedisClientOptions = {}): RedisClient {
  const resolved: RedisTarget = typeof target === "string" ? { mode: "standalone", url: target } : target;
  const client = clientFor(resolved, options);
  const onError = options.onError ?? (() => undefined);
  client.on("error", (error: Error) => onError(error));
  return client;
}

function clientFor(target: RedisTarget, options: RedisClientOptions): RedisClient {
  const base = redisOptions(options);
  const auth = target.mode === "standalone" ? {} : { ...(target.username ? { username: target.username } : {}), ...(target.password ? { password: target.password } : {}) };
  switch (target.mode) {
    case "standalone":
      return new Redis(target.url, base);
    case "sentinel":
      return new Redis({
        ...base,
        ...auth,
        sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
        name: target.name,
        sentinelRetryStrategy: reconnectDelay,
        sentinelCommandTimeout: 1_000,
        // Sentinels announce a new primary (+switch-master): reconnect at once instead of
        // waiting for the old primary's connection to fail.
        failoverDetector: true,
      });
    case "cluster": {
      const { lazyConnect, enableOfflineQueue, retryStrategy: _perNode, ...perNode } = base;
      const clusterOptions: ClusterOptions = {
        lazyConnect,
        enableOfflineQueue,
        enableReadyCheck: true,
        clusterRetryStrategy: reconnectDelay,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        slotsRefreshTimeout: 1_000,
        redisOptions: { ...perNode, ...auth },
      };
      return new Cluster(
        target.nodes.map(({ host, port }) => ({ host, port })),
        clusterOptions,
      );
    }
  }
}

/** True while the connection is up and past the ready check. */
export function isRedisClientHealthy(client: RedisClient): boolean {
  return client.status === "ready";
}

/** The connections the gateway uses: commands (state, PUBLISH), subscriber mode, idempotency claims. */
export interface RedisConnections {
  readonly mode: RedisTarget["mode"];
  readonly commands: RedisClient;
  readonly subscriber: RedisClient;
  /**
   * Idempotency claims: under Sentinel a connection of their own, because WAIT (see
   * `writesReplicated`) holds up every later command on its connection until a replica answers;
   * otherwise `commands`.
   */
  readonly claims: RedisClient;
  /** Both connections ready: what `/ready` reports as `redis`. */
  isRedisHealthy(): boolean;
  /**
   * Whether what was just written on `claims` would survive a Sentinel failover: a replica
   * holds it (WAIT), or the primary has none to promote. Always true for one Redis or a Cluster.
   */
  writesReplicated(timeoutMs: number): Promise<boolean>;
  /** First connection attempt; resolves `false` (never throws) when Redis is down at start-up. */
  connect(): Promise<boolean>;
  close(): Promise<void>;
}

export function createRedisConnections(target: RedisTarget | string, options: Omit<RedisClientOptions, "role"> = {}): RedisConnections {
  const resolved: RedisTarget = typeof target === "string" ? { mode: "standalone", url: target } : target;
  const name = options.connectionName ?? "cdn-export-gateway";
  const commands = createRedisClient(resolved, { ...options, role: "commands", connectionName: name });
  const subscriber = createRedisClient(resolved, { ...options, role: "subscriber", connectionName: `${name}:sub` });
  const claims = resolved.mode === "sentinel" ? createRedisClient(resolved, { ...options, role: "commands", connectionName: `${name}:claims` }) : commands;
  const all = claims === commands ? [commands, subscriber] : [commands, subscriber, claims];
  const connectOne = async (client: RedisClient): Promise<boolean> => {
    if (client.status !== "wait") return isRedisClientHealthy(client);
    try {
      await client.connect();
      return true;
    } catch {
      // Already reported through the "error" event; ioredis keeps reconnecting in the background.
      return false;
    }
  };
  let closed = false;
  return {
    mode: resolved.mode,
    commands,
    subscriber,
    claims,
    isRedisHealthy: () => !closed && isRedisClientHealthy(commands) && isRedisClientHealthy(subscriber),
    writesReplicated: (timeoutMs) => (resolved.mode === "sentinel" && claims instanceof Redis ? writesReachedReplica(claims, timeoutMs) : Promise.resolve(true)),
    async connect() {
      const connected = await Promise.all(all.map(connectOne));
      return connected.every(Boolean);
    },
    async close() {
      closed = true;
      await Promise.all(all.map(quit));
    },
  };
}

/**
 * Sentinel promotes a replica when the primary dies; a write it never received is lost with the
 * primary. WAIT blocks until a replica acknowledges this connection's writes: with one
 * connected, at least one must; with none there is nothing a failover could promote.
 */
export async function writesReachedReplica(commands: Redis, timeoutMs: number): Promise<boolean> {
  const role: unknown = await commands.call("ROLE");
  const replicas = Array.isArray(role) && Array.isArray(role[2]) ? role[2].length : 0;
  if (replicas === 0) return true;
  const acknowledged = await commands.wait(1, Math.max(1, Math.ceil(timeoutMs)));
  return acknowledged >= 1;
}

/** QUIT when connected (flushes pending replies), otherwise just drop the socket and stop reconnecting. */
async function quit(client: RedisClient): Promise<void> {
  if (client.status === "ready") {
    try {
      // QUIT resolves with the reply; the socket closes just after: wait for that too.
      const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
      await client.quit();
      await ended;
      return;
    } catch {
      // fall through to disconnect
    }
  }
  client.disconnect(false);
}
