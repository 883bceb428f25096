/**
 * ioredis connections for shared state (`REDIS_URL`). Built to fail fast: while Redis is down,
 * state commands are refused at once instead of queueing, so reads keep being served, writes
 * that need shared state get a clear error, and `/ready` reports the outage. Reconnection runs
 * in the background with capped backoff and never gives up.
 */
import { Redis, type RedisOptions } from "ioredis";

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
    retryStrategy: (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 5), 3_000),
    autoResubscribe: true,
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  };
}

export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const client = new Redis(url, redisOptions(options));
  const onError = options.onError ?? (() => undefined);
  client.on("error", (error: Error) => onError(error));
  return client;
}

/** True while the connection is up and past the ready check. */
export function isRedisClientHealthy(client: Redis): boolean {
  return client.status === "ready";
}

/** The pair the gateway uses: one for commands (state, PUBLISH), one in subscriber mode. */
export interface RedisConnections {
  readonly commands: Redis;
  readonly subscriber: Redis;
  /** Both connections ready: what `/ready` reports as `redis`. */
  isRedisHealthy(): boolean;
  /** First connection attempt; resolves `false` (never throws) when Redis is down at start-up. */
  connect(): Promise<boolean>;
  close(): Promise<void>;
}

export function createRedisConnections(url: string, options: Omit<RedisClientOptions, "role"> = {}): RedisConnections {
  const name = options.connectionName ?? "cdn-export-gateway";
  const commands = createRedisClient(url, { ...options, role: "commands", connectionName: name });
  const subscriber = createRedisClient(url, { ...options, role: "subscriber", connectionName: `${name}:sub` });
  const connectOne = async (client: Redis): Promise<boolean> => {
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
    commands,
    subscriber,
    isRedisHealthy: () => !closed && isRedisClientHealthy(commands) && isRedisClientHealthy(subscriber),
    async connect() {
      const [a, b] = await Promise.all([connectOne(commands), connectOne(subscriber)]);
      return a && b;
    },
    async close() {
      closed = true;
      await Promise.all([quit(commands), quit(subscriber)]);
    },
  };
}

/** QUIT when connected (flushes pending replies), otherwise just drop the socket and stop reconnecting. */
async function quit(client: Redis): Promise<void> {
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
