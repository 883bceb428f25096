import type { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createRedisClient } from "../../src/state/redis.js";
import { createLocalInvalidationBus, createRedisInvalidationBus, type RedisInvalidationBus } from "../../src/state/invalidation-bus.js";
import { createPageCache } from "../../src/reading/page-cache.js";
import type { CdnExportApi, ExportKind, PageRequest, TaskPage, UpstreamTask } from "../../src/upstream/types.js";
import { redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { taskPageOf } from "../helpers/task-page.js";

const hasRedis = await redisReachable();

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A tiny in-memory upstream that counts page reads. `hold()` makes the next reads wait until
 * released, so races are staged by order of events, not by timing.
 */
class FakeUpstream implements CdnExportApi {
  readonly tasks: Record<ExportKind, UpstreamTask[]> = { USAGE_DETAIL: [], USER_USAGE: [] };
  describeCalls = 0;
  failNext = false;
  #gate: Promise<void> | null = null;
  #serial = 0;

  /** Reads that start from now on wait for the returned release; `stopHolding` lets later ones through. */
  hold(): () => void {
    const gate = deferred();
    this.#gate = gate.promise;
    return () => {
      this.stopHolding();
      gate.resolve();
    };
  }

  stopHolding(): void {
    this.#gate = null;
  }

  async describeTasks(kind: ExportKind, page: PageRequest): Promise<TaskPage> {
    this.describeCalls += 1;
    // Snapshot at call time: what the upstream "saw" when the request arrived.
    const all = [...this.tasks[kind]];
    const gate = this.#gate; // held calls wait for their own gate
    if (gate) await gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error("upstream unavailable");
    }
    return taskPageOf(kind, all, page, `req-${this.describeCalls}`);
  }

  createUsageDetailTask() {
    return Promise.resolve(this.#add("USAGE_DETAIL"));
  }

  createUserUsageTask() {
    return Promise.resolve(this.#add("USER_USAGE"));
  }

  deleteTask(kind: ExportKind, taskId: string) {
    this.tasks[kind] = this.tasks[kind].filter((t) => t.taskId !== taskId);
    return Promise.resolve({ requestId: "req-delete" });
  }

  #add(kind: ExportKind) {
    this.#serial += 1;
    const taskId = `t-${this.#serial}`;
    this.tasks[kind].unshift({
      kind, taskId, name: null, rawStatus: "created", createTime: "2024-01-01T00:00:00Z",
      updateTime: null, downloadUrl: null, startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z",
    });
    return { requestId: "req-create", taskId, startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z" };
  }
}

const PAGE: PageRequest = { pageNumber: 1, pageSize: 50 };
const usage = { type: "flow" as const, startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z" };
const ids = (page: TaskPage): string[] => page.tasks.map((t) => t.taskId);

describe("page cache", () => {
  it("answers from the freshness window until ttl passes (injected clock)", async () => {
    const upstream = new FakeUpstream();
    let now = 10_000;
    const api = createPageCache(upstream, { ttlMs: 1_000, now: () => now });
    await api.describeTasks("USAGE_DETAIL", PAGE);
    now += 999;
    await api.describeTasks("USAGE_DETAIL", PAGE);
    expect(upstream.describeCalls).toBe(1);
    now += 1;
    await api.describeTasks("USAGE_DETAIL", PAGE);
    expect(upstream.describeCalls).toBe(2);
    // Keyed by kind, page number and size.
    await api.describeTasks("USER_USAGE", PAGE);
    await api.describeTasks("USAGE_DETAIL", { pageNumber: 2, pageSize: 50 });
    await api.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 10 });
    expect(upstream.describeCalls).toBe(5);
  });

  it("shares one upstream call between concurrent identical reads", async () => {
    const upstream = new FakeUpstream();
    await upstream.createUsageDetailTask();
    const api = createPageCache(upstream, { ttlMs: 1_000 });
    const release = upstream.hold();
    const reads = Array.from({ length: 500 }, () => api.describeTasks("USAGE_DETAIL", PAGE));
    release();
    const pages = await Promise.all(reads);
    expect(upstream.describeCalls).toBe(1);
    // Each caller gets its own page object: one caller's edits do not reach the others.
    expect(new Set(pages).size).toBe(500);
    pages[0]!.tasks.pop();
    expect(pages[1]!.tasks).toHaveLength(1);
    expect((await api.describeTasks("USAGE_DETAIL", PAGE)).tasks).toHaveLength(1);
  });

  it("a task created or deleted through the cache is visible on the next read", async () => {
    const upstream = new FakeUpstream();
    const api = createPageCache(upstream, { ttlMs: 60_000, bus: createLocalInvalidationBus() });
    expect(ids(await api.describeTasks("USAGE_DETAIL", PAGE))).toEqual([]);
    const other = await api.describeTasks("USER_USAGE", PAGE);
    const created = await api.createUsageDetailTask(usage);
    expect(ids(await api.describeTasks("USAGE_DETAIL", PAGE))).toEqual([created.taskId]);
    const calls = upstream.describeCalls;
    // The other kind is untouched.
    expect(await api.describeTasks("USER_USAGE", PAGE)).toEqual(other);
    expect(upstream.describeCalls).toBe(calls);
    await api.deleteTask("USAGE_DETAIL", created.taskId);
    expect(ids(await api.describeTasks("USAGE_DETAIL", PAGE))).toEqual([]);
    const user = await api.createUserUsageTask({ startTime: usage.startTime, endTime: usage.endTime });
    expect(ids(await api.describeTasks("USER_USAGE", PAGE))).toEqual([user.taskId]);
  });

  it("the bus drops the kind it names, every kind after a lost connection, and ignores anything else", async () => {
    const upstream = new FakeUpstream();
    const bus = createLocalInvalidationBus();
    const dropped: string[] = [];
    const api = createPageCache(upstream, { ttlMs: 60_000, bus, observer: { onInvalidate: ({ kind, source }) => dropped.push(`${kind}/${source}`) } });
    await api.describeTasks("USAGE_DETAIL", PAGE);
    await api.describeTasks("USER_USAGE", PAGE);
    await bus.publish("NOT_A_KIND");
    await api.describeTasks("USAGE_DETAIL", PAGE);
    expect(upstream.describeCalls).toBe(2);
    await bus.publish("USER_USAGE");
    await api.describeTasks("USAGE_DETAIL", PAGE);
    await api.describeTasks("USER_USAGE", PAGE);
    expect(upstream.describeCalls).toBe(3);
    expect(dropped).toEqual(["USER_USAGE/bus"]);
    api.close();
    await bus.publish("USAGE_DETAIL"); // no longer listening
    await api.describeTasks("USAGE_DETAIL", PAGE);
    expect(upstream.describeCalls).toBe(3);
  });

  it("a read that started before a create never stores its stale page, and later reads do not join it", async () => {
    const upstream = new FakeUpstream();
    const api = createPageCache(upstream, { ttlMs: 60_000 });
    const release = upstream.hold();
    const stale = api.describeTasks("USAGE_DETAIL", PAGE); // upstream snapshot: no tasks
    upstream.stopHolding();
    const created = await api.createUsageDetailTask(usage); // invalidates while that read is out
    // A new call, not a join of the stale one; it completes and is stored first.
    expect(ids(await api.describeTasks("USAGE_DETAIL", PAGE))).toEqual([created.taskId]);
    release(); // the stale answer arrives last and must not overwrite the fresh page
    expect(ids(await stale)).toEqual([]);
    expect(upstream.describeCalls).toBe(2);
    expect(ids(await api.describeTasks("USAGE_DETAIL", PAGE))).toEqual([created.taskId]);
    expect(upstream.describeCalls).toBe(2);
  });

  it("ttl 0: every sequential read goes upstream, nothing is kept", async () => {
    const upstream = new FakeUpstream();
    const api = createPageCache(upstream, { ttlMs: 0 });
    for (let i = 0; i < 3; i += 1) await api.describeTasks("USAGE_DETAIL", PAGE);
    expect(upstream.describeCalls).toBe(3);
    await upstream.createUsageDetailTask(); // changed behind the gateway's back
    expect((await api.describeTasks("USAGE_DETAIL", PAGE)).totalCount).toBe(1);
  });

  it("does not keep failures, and one caller aborting does not fail the others", async () => {
    const upstream = new FakeUpstream();
    const api = createPageCache(upstream, { ttlMs: 60_000 });
    upstream.failNext = true;
    await expect(api.describeTasks("USAGE_DETAIL", PAGE)).rejects.toThrow("upstream unavailable");
    await expect(api.describeTasks("USAGE_DETAIL", PAGE)).resolves.toMatchObject({ totalCount: 0 });
    expect(upstream.describeCalls).toBe(2);

    api.invalidate("USAGE_DETAIL");
    const release = upstream.hold();
    const leaving = new AbortController();
    const first = api.describeTasks("USAGE_DETAIL", PAGE, { signal: leaving.signal });
    const second = api.describeTasks("USAGE_DETAIL", PAGE);
    leaving.abort(new Error("client went away"));
    await expect(first).rejects.toThrow("client went away");
    release();
    await expect(second).resolves.toMatchObject({ totalCount: 0 });
    expect(upstream.describeCalls).toBe(3);
  });

  it("holds at most maxEntries pages, least recently used out first", async () => {
    const upstream = new FakeUpstream();
    const api = createPageCache(upstream, { ttlMs: 60_000, maxEntries: 2 });
    const page = (n: number): PageRequest => ({ pageNumber: n, pageSize: 50 });
    await api.describeTasks("USAGE_DETAIL", page(1));
    await api.describeTasks("USAGE_DETAIL", page(2));
    await api.describeTasks("USAGE_DETAIL", page(1)); // touch 1: 2 is now the oldest
    await api.describeTasks("USAGE_DETAIL", page(3));
    expect(upstream.describeCalls).toBe(3);
    await api.describeTasks("USAGE_DETAIL", page(1));
    expect(upstream.describeCalls).toBe(3);
    await api.describeTasks("USAGE_DETAIL", page(2));
    expect(upstream.describeCalls).toBe(4);
  });

  it("invalidates even when the create fails (it may have happened upstream), and survives a failing bus", async () => {
    const upstream = new FakeUpstream();
    const errors: unknown[] = [];
    const failingBus = { ...createLocalInvalidationBus(), publish: () => Promise.reject(new Error("redis down")) };
    const timingOut: CdnExportApi = {
      describeTasks: (kind, page) => upstream.describeTasks(kind, page),
      createUsageDetailTask: () => Promise.reject(new Error("timeout")),
      createUserUsageTask: () => upstream.createUserUsageTask(),
      deleteTask: (kind, taskId) => upstream.deleteTask(kind, taskId),
    };
    const api = createPageCache(timingOut, { ttlMs: 60_000, bus: failingBus, onError: (e) => errors.push(e) });
    await api.describeTasks("USAGE_DETAIL", PAGE);
    await expect(api.createUsageDetailTask(usage)).rejects.toThrow("timeout");
    expect(errors).toHaveLength(1);
    await api.describeTasks("USAGE_DETAIL", PAGE);
    expect(upstream.describeCalls).toBe(2);
  });
});

describe.skipIf(!hasRedis)("page cache across replicas (real Redis pub/sub)", () => {
  const channel = `${uniquePrefix("page-cache")}invalidation`;
  const connections: Redis[] = [];
  const buses: RedisInvalidationBus[] = [];
  const replicaBus = (): RedisInvalidationBus => {
    const publisher = createRedisClient(TEST_REDIS_URL);
    const subscriber = createRedisClient(TEST_REDIS_URL, { role: "subscriber" });
    connections.push(publisher, subscriber);
    const bus = createRedisInvalidationBus({ publisher, subscriber, channel });
    buses.push(bus);
    return bus;
  };
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await Promise.all(connections.map((c) => c.quit()));
  });

  it("a create on replica A drops replica B's page for that kind", async () => {
    const upstream = new FakeUpstream(); // one upstream, two gateways
    const busA = replicaBus();
    const busB = replicaBus();
    await Promise.all(connections.filter((c) => c.status === "wait").map((c) => c.connect()));
    await Promise.all([busA.subscribed, busB.subscribed]);

    // Invalidations B received over the bus, and a way to wait for the n-th one (no sleeps).
    const droppedOnB: ExportKind[] = [];
    let wake = (): void => undefined;
    const receivedOnB = (count: number): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => (droppedOnB.length >= count ? resolve() : void (wake = check));
        check();
      });
    const replicaA = createPageCache(upstream, { ttlMs: 60_000, bus: busA });
    const replicaB = createPageCache(upstream, {
      ttlMs: 60_000,
      bus: busB,
      observer: {
        onInvalidate: ({ kind, source }) => {
          if (source !== "bus") return;
          droppedOnB.push(kind);
          wake();
        },
      },
    });
    expect(ids(await replicaB.describeTasks("USAGE_DETAIL", PAGE))).toEqual([]);
    await replicaB.describeTasks("USER_USAGE", PAGE);
    expect(upstream.describeCalls).toBe(2);

    const created = await replicaA.createUsageDetailTask(usage);
    await receivedOnB(1); // delivered over Redis
    expect(droppedOnB).toEqual(["USAGE_DETAIL"]);
    expect(ids(await replicaB.describeTasks("USAGE_DETAIL", PAGE))).toEqual([created.taskId]);
    expect(upstream.describeCalls).toBe(3);
    await replicaB.describeTasks("USER_USAGE", PAGE); // other kind still cached
    expect(upstream.describeCalls).toBe(3);

    // After a subscriber reconnect (messages may have been missed) every kind is dropped.
    connections[3]!.disconnect(true);
    await receivedOnB(3);
    expect(droppedOnB.slice(1).sort()).toEqual(["USAGE_DETAIL", "USER_USAGE"]);
    await replicaB.describeTasks("USER_USAGE", PAGE);
    expect(upstream.describeCalls).toBe(4);
    replicaA.close();
    replicaB.close();
  });
});
