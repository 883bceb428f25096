/**
 * "Tasks of this kind changed": how a gateway that created or deleted a task tells every page
 * cache (its own and, over Redis pub/sub, other replicas') to drop that kind. The bus carries
 * the kind's name as it is given; what a kind is, is the page cache's business.
 */
import type { RedisClient } from "./redis.js";

/** One kind of task changed, or `everything`: changes may have been missed (a lost connection). */
export type Invalidation = { kind: string } | "everything";
export type InvalidationHandler = (change: Invalidation) => void;

export interface InvalidationBus {
  /** Tell every subscriber (including this process's own) that `kind` changed. */
  publish(kind: string): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(handler: InvalidationHandler): () => void;
  close(): Promise<void>;
}

/** Handlers are isolated: one that throws does not keep the others from running. */
function notifyAll(handlers: ReadonlySet<InvalidationHandler>, change: Invalidation, onError?: (error: unknown) => void): void {
  for (const handler of handlers) {
    try {
      handler(change);
    } catch (error) {
      onError?.(error);
    }
  }
}

/** One process, no Redis: delivery is synchronous. */
export function createLocalInvalidationBus(options: { onError?: (error: unknown) => void } = {}): InvalidationBus {
  const handlers = new Set<InvalidationHandler>();
  return {
    publish(kind) {
      notifyAll(handlers, { kind }, options.onError);
      return Promise.resolve();
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    close() {
      handlers.clear();
      return Promise.resolve();
    },
  };
}

export interface RedisInvalidationBusOptions {
  /** A command connection (PUBLISH). */
  publisher: RedisClient;
  /** A dedicated connection: SUBSCRIBE puts it in subscriber mode. Owned by the caller. */
  subscriber: RedisClient;
  channel?: string;
  onError?: (error: unknown) => void;
}

export interface RedisInvalidationBus extends InvalidationBus {
  /** Resolves once SUBSCRIBE is acknowledged (waits for Redis if it is down). */
  readonly subscribed: Promise<void>;
}

/**
 * Across replicas. Messages may be lost while the subscriber is disconnected, so after a
 * reconnect `everything` is reported changed: a cache never trusts pages across an outage.
 */
export function createRedisInvalidationBus(options: RedisInvalidationBusOptions): RedisInvalidationBus {
  const { publisher, subscriber } = options;
  const channel = options.channel ?? "cdn-export-gateway:page-invalidation";
  const handlers = new Set<InvalidationHandler>();
  let disconnected = false;
  let closed = false;

  const onMessage = (from: string, message: string): void => {
    if (from === channel && message !== "") notifyAll(handlers, { kind: message }, options.onError);
  };
  const onClose = (): void => {
    disconnected = true;
  };
  const onReady = (): void => {
    if (!disconnected) return;
    disconnected = false;
    notifyAll(handlers, "everything", options.onError);
  };
  subscriber.on("message", onMessage);
  subscriber.on("close", onClose);
  subscriber.on("ready", onReady);
  const subscribed = subscriber.subscribe(channel).then(() => undefined);
  // Reported here; callers that await `subscribed` still see the rejection.
  subscribed.catch((error: unknown) => options.onError?.(error));

  return {
    subscribed,
    async publish(kind) {
      await publisher.publish(channel, kind);
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    async close() {
      if (closed) return;
      closed = true;
      handlers.clear();
      subscriber.off("message", onMessage);
      subscriber.off("close", onClose);
      subscriber.off("ready", onReady);
      if (subscriber.status === "ready") await subscriber.unsubscribe(channel).catch((error: unknown) => options.onError?.(error));
    },
  };
}
