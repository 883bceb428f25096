/**
 * The page cache's second tier on a real Redis (a private redis-server): three replicas — three
 * page caches with their own connections, one upstream — read each page about once per window
 * between them, count only the reads that reached the upstream; after a create on one replica,
 * no replica is served the page from before it out of Redis, and every replica shows the task
 * once the invalidation message has reached it.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPageCache, type PageCache } from "../../src/reading/page-cache.js";
import { createRedisInvalidationBus } from "../../src/state/invalidation-bus.js";
import { createRedisClient } from "../../src/state/redis.js";
import { createSharedReads } from "../../src/state/shared-reads.js";
import type { CdnExportApi, ExportKind, PageRequest, TaskPage, UpstreamTask } from "../../src/upstream/types.js";
import { uniquePrefix } from "../helpers/redis.js";
import { redisServerAvailable, startRedisServer, type RedisProcess } from "../helpers/redis-servers.js";
import { taskPageOf } from "../helpers/task-page.js";

const available = redisServerAvailable();
const PAGE: PageRequest = { pageNumber: 1, pageSize: 50 };
const usage = { type: "flow" as const, startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z" };

class CountingUpstream implements CdnExportApi {
  readonly tasks: UpstreamTask[] = [];
  describeCalls = 0;

  async describeTasks(kind: ExportKind, page: PageRequest): Promise<TaskPage> {
    this.describeCalls += 1;
    const all = kind === "USAGE_DETAIL" ? [...this.tasks] : [];
    await new Promise((resolve) => setTimeout(resolve, 20)); // a real read takes a while
    return taskPageOf(kind, all, page, `req-${this.describeCalls}`);
  }

  createUsageDetailTask() {
    const taskId = `t-${this.tasks.length + 1}`;
    this.tasks.unshift({ kind: "USAGE_DETAIL", taskId, name: null, rawStatus: "created", createTime: "2024-01-01T00:00:00Z", updateTime: null, downloadUrl: null, startTime: null, endTime: null });
    return Promise.resolve({ requestId: "req-create", taskId, startTime: usage.startTime, endTime: usage.endTime });
  }

  createUserUsageTask(): Promise<never> {
    return Promise.reject(new Error("not used"));
  }

  deleteTask() {
    return Promise.resolve({ requestId: "req-delete" });
  }
}

describe.skipIf(!available)("page cache across replicas, pages shared through Redis", () => {
  let server: RedisProcess & { dispose(): Promise<void> };
  const connections: Redis[] = [];
  const caches: PageCache[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    for (const cache of caches) cache.close();
    for (const connection of connections) connection.disconnect();
    await server.dispose();
  });

  async function replicasOver(upstream: CdnExportApi, count: number, ttlMs: number, onInvalidate?: (replica: number, event: { source: "local" | "bus" }) => void): Promise<PageCache[]> {
    const keyPrefix = uniquePrefix("page-replicas");
    const made: PageCache[] = [];
    for (let i = 0; i < count; i += 1) {
      const commands = createRedisClient(server.url);
      const subscriber = createRedisClient(server.url, { role: "subscriber" });
      connections.push(commands, subscriber);
      await Promise.all([commands.connect(), subscriber.connect()]);
      const bus = createRedisInvalidationBus({ publisher: commands, subscriber, channel: `${keyPrefix}page-invalidation` });
      await bus.subscribed;
      // A generous step deadline: this suite is about sharing, not about a loaded machine's hiccups.
      const observer = { onInvalidate: (event: { source: "local" | "bus" }) => onInvalidate?.(i, event) };
      made.push(createPageCache(upstream, { ttlMs, bus, observer, shared: createSharedReads({ redis: commands, keyPrefix, stepMs: 500 }) }));
    }
    caches.push(...made);
    return made;
  }

  it("three replicas under the same load read each page once per window between them", async () => {
    const upstream = new CountingUpstream();
    const replicas = await replicasOver(upstream, 3, 400);
    const upstreamCallsSeen: number[] = [0, 0, 0];
    const deadline = performance.now() + 1_300;
    // 10 concurrent readers per replica, for a bit over three windows.
    await Promise.all(
      replicas.flatMap((cache, index) =>
        Array.from({ length: 10 }, async () => {
          const counted = cache.countingUpstreamCalls(() => (upstreamCallsSeen[index] = (upstreamCallsSeen[index] ?? 0) + 1));
          while (performance.now() < deadline) {
            await counted.describeTasks("USAGE_DETAIL", PAGE);
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        }),
      ),
    );
    // One replica alone would read 4 times in 1.3 s (a window of 400 ms); three read about as often.
    expect(upstream.describeCalls).toBeGreaterThanOrEqual(3);
    expect(upstream.describeCalls).toBeLessThanOrEqual(5);
    // Only reads that reached the upstream are counted, on the replica that made them.
    expect(upstreamCallsSeen.reduce((a, b) => a + b, 0)).toBe(upstream.describeCalls);
  });

  it("a page from Redis is kept here only for what is left of its window", async () => {
    const upstream = new CountingUpstream();
    const [a, b] = await replicasOver(upstream, 2, 300);
    await a!.describeTasks("USAGE_DETAIL", PAGE);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await b!.describeTasks("USAGE_DETAIL", PAGE); // from Redis, ~100 ms left
    expect(upstream.describeCalls).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await b!.describeTasks("USAGE_DETAIL", PAGE); // stale here too: read again
    expect(upstream.describeCalls).toBe(2);
  });

  it("a create: the next read on its replica and any read from Redis show it; every other replica does once the bus message lands", async () => {
    const upstream = new CountingUpstream();
    const busMessages = [0, 0, 0, 0];
    const [a, b, c, d] = await replicasOver(upstream, 4, 60_000, (replica, event) => {
      if (event.source === "bus") busMessages[replica] = (busMessages[replica] ?? 0) + 1;
    });
    // A, B and C hold the empty page, here and in Redis; D holds nothing, so its reads go to Redis.
    for (const cache of [a, b, c]) expect((await cache!.describeTasks("USAGE_DETAIL", PAGE)).totalCount).toBe(0);
    expect(upstream.describeCalls).toBe(1);
    const created = await b!.createUsageDetailTask(usage);
    const ids = async (cache: PageCache | undefined): Promise<string[]> => (await cache!.describeTasks("USAGE_DETAIL", PAGE)).tasks.map((t) => t.taskId);
    // No waiting for pub/sub: Redis's generation moved before the create returned, so the page
    // read before it is never served from Redis again.
    expect(await ids(d)).toEqual([created.taskId]);
    expect(await ids(b)).toEqual([created.taskId]);
    // A and C drop their own copy when the message lands (on one host, well within 500 ms); their
    // next read then shows the task.
    await expect.poll(() => (busMessages[0] ?? 0) >= 1 && (busMessages[2] ?? 0) >= 1, { timeout: 500, interval: 5 }).toBe(true);
    expect(await ids(a)).toEqual([created.taskId]);
    expect(await ids(c)).toEqual([created.taskId]);
    // One upstream read after the create, shared through Redis.
    expect(upstream.describeCalls).toBe(2);
  });
});
