/**
 * Span links between replicas, at the coordinator (redis-watch-coordinator.ts) on real Redis: what
 * one replica shares for a task the others read (as remote contexts, never their own), the entry
 * is refreshed on the lease tick and removed on leave, and a slow or unreachable Redis costs a
 * poll its remote links, not its time.
 */
import { randomBytes } from "node:crypto";
import { createConnection, createServer, type Socket } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SpanContext } from "../../src/observability/spans.js";
import { createRedisWatchCoordinator, type RedisWatchCoordinatorOptions } from "../../src/live/redis-watch-coordinator.js";
import { createRedisConnections, type RedisConnections } from "../../src/state/redis.js";
import type { WatchCoordinator, WatchMembership } from "../../src/live/watch-coordinator.js";
import type { TaskKey } from "../../src/reading/entity-scan.js";
import { closedPort, deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";

const hasRedis = await redisReachable();

const context = (): SpanContext => ({ traceId: randomBytes(16).toString("hex"), spanId: randomBytes(8).toString("hex"), traceFlags: 1 });
const remote = (link: SpanContext): SpanContext => ({ ...link, isRemote: true });
const taskKey = (taskId: string): TaskKey => ({ kind: "USAGE_DETAIL", taskId });
const noHandlers = { onLeadership: () => undefined, onUpdate: () => undefined };

/** A proxy to Redis whose answers can be held back: Redis "slow" for the clients behind it. */
async function startSlowProxy(target: URL): Promise<{ port: number; delay(ms: number): void; close(): Promise<void> }> {
  let delayMs = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 6379) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(upstream);
    // Held back alike: the answers and Redis closing the connection after them (QUIT).
    upstream.on("data", (chunk: Buffer) => setTimeout(() => client.write(chunk), delayMs));
    upstream.on("close", () => setTimeout(() => client.destroy(), delayMs));
    client.on("close", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    delay: (ms) => (delayMs = ms),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.skipIf(!hasRedis)("span links shared through Redis", () => {
  const prefix = uniquePrefix("watch-links");
  const linksKey = (key: TaskKey): string => `${prefix}links:${key.kind}:${key.taskId}`;
  let admin: Redis;
  const cleanups: Array<() => Promise<unknown>> = [];
  type Tuning = Pick<RedisWatchCoordinatorOptions, "replicaId" | "leaseMs" | "linkReadTimeoutMs" | "onError">;
  const connect = async (url: string, tuning: Tuning): Promise<WatchCoordinator> => {
    const redis: RedisConnections = createRedisConnections(url, { onError: () => undefined });
    await redis.connect(); // as the app does before it serves
    const coordinator = createRedisWatchCoordinator({ commands: redis.commands, subscriber: redis.subscriber, keyPrefix: prefix, ...tuning });
    cleanups.push(async () => {
      await coordinator.close();
      await redis.close();
    });
    return coordinator;
  };

  beforeAll(() => {
    admin = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
  });

  it("each replica reads the others' links, refreshed on the lease tick and removed on leave", async () => {
    const leaseMs = 300;
    const key = taskKey("shared");
    // A generous bound: a loaded machine must not make this test about the bound.
    const a = await connect(TEST_REDIS_URL, { replicaId: "a", leaseMs, linkReadTimeoutMs: 2_000 });
    const b = await connect(TEST_REDIS_URL, { replicaId: "b", leaseMs, linkReadTimeoutMs: 2_000 });
    let aLeads = false;
    const onA = a.join(key, { ...noHandlers, onLeadership: (leading) => (aLeads = leading) });
    await vi.waitFor(() => expect(aLeads).toBe(true), { timeout: 5_000, interval: 10 });
    const onB: WatchMembership = b.join(key, noHandlers);
    const [mine, theirs1, theirs2] = [context(), context(), context()];
    onA.shareLinks([mine]);
    onB.shareLinks([theirs1, theirs2]);
    await vi.waitFor(async () => expect(await onA.remoteLinks()).toEqual([remote(theirs1), remote(theirs2)]), { timeout: 5_000, interval: 20 });
    expect(await onB.remoteLinks()).toEqual([remote(mine)]);

    // The entry's expiry moves on while B stays; the key lives no longer than the entries.
    const expiryOf = async (): Promise<number> => Number((await admin.hget(linksKey(key), "b"))?.split(" ")[0]);
    const first = await expiryOf();
    await vi.waitFor(async () => expect(await expiryOf()).toBeGreaterThan(first), { timeout: 5_000, interval: 50 });
    expect(await admin.pttl(linksKey(key))).toBeLessThanOrEqual(3 * leaseMs);

    // No traced subscriber left on B: its field goes; then A leaves and the key with it.
    onB.shareLinks([]);
    await vi.waitFor(async () => expect(await admin.hkeys(linksKey(key))).toEqual(["a"]), { timeout: 5_000, interval: 20 });
    expect(await onA.remoteLinks()).toEqual([]);
    await onB.leave();
    await onA.leave();
    expect(await admin.exists(linksKey(key))).toBe(0);
  });

  it("a slow Redis: the read gives up after linkReadTimeoutMs and the poll goes without", async () => {
    const key = taskKey("slow");
    const linked = context();
    await admin.hset(linksKey(key), "elsewhere", `${Date.now() + 60_000} 00-${linked.traceId}-${linked.spanId}-01`);
    const proxy = await startSlowProxy(new URL(TEST_REDIS_URL));
    cleanups.push(() => proxy.close());
    const slow = await connect(`redis://127.0.0.1:${proxy.port}`, { replicaId: "slow", linkReadTimeoutMs: 50 });
    const membership = slow.join(key, noHandlers);
    await vi.waitFor(async () => expect(await membership.remoteLinks()).toEqual([remote(linked)]), { timeout: 5_000, interval: 20 });
    proxy.delay(1_000);
    const started = performance.now();
    expect(await membership.remoteLinks()).toEqual([]);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("an unreachable Redis: no links, the failure reported and not thrown", async () => {
    const errors: unknown[] = [];
    const onError = (error: unknown): void => void errors.push(error);
    const down = await connect(`redis://127.0.0.1:${await closedPort()}`, { replicaId: "down", linkReadTimeoutMs: 10_000, onError });
    const membership = down.join(taskKey("down"), noHandlers);
    const started = performance.now();
    expect(await membership.remoteLinks()).toEqual([]);
    // Well before the bound: the failed read itself answered.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(errors.length).toBeGreaterThan(0);
    // A failed write is reported too (an unhandled rejection would fail the run).
    const reported = errors.length;
    expect(() => membership.shareLinks([context()])).not.toThrow();
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(reported), { timeout: 5_000, interval: 20 });
    // Not awaited: the UNSUBSCRIBE waits for a connection that never comes.
    void membership.leave();
  });
});
