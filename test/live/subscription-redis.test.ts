/**
 * `exportTaskUpdated` across two gateway replicas (two `startApp` wirings) that share only Redis
 * and one upstream (the emulator on loopback): one replica polls a watched task, the other
 * follows its updates over pub/sub, takes over when the poller's clients leave, and both
 * replicas' clients see the same transitions. Without tracing, no span links go through Redis.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { RunningEmulator } from "../../src/emulator/types.js";
import { tracingActive } from "../../src/observability/spans.js";
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";
import { subscribeSse, type GraphQLEvent } from "../helpers/sse-client.js";

const hasRedis = await redisReachable();

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const DESCRIBE = "DescribeUserUsageDetailDataExportTask";
const CREATE = "mutation Create($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }";
const WATCH = `subscription Watch($taskId: String!) {
  exportTaskUpdated(kind: USAGE_DETAIL, taskId: $taskId) { taskId status updatedAt }
}`;

interface Watched {
  exportTaskUpdated: { taskId: string; status: string; updatedAt: string | null };
}
const statusOf = (event: GraphQLEvent<Watched> | null): string | undefined => event?.data?.exportTaskUpdated.status;

interface Replicas {
  emulator: RunningEmulator;
  a: ServerHarness;
  b: ServerHarness;
  close(): Promise<void>;
}

async function startReplicas(taskSeconds: number, prefix: string): Promise<Replicas> {
  const emulator = await startEmulator({ port: 0, historySize: 0, quotaPerSecond: 100_000, taskSeconds });
  const env = {
    ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.accessKeySecret,
    CDN_ENDPOINT: emulator.url,
    GATEWAY_AUTH: "off",
    // Every poll is an upstream read, and polls come fast: counts move quickly.
    CDN_CACHE_TTL_MS: "0",
    SUBSCRIPTION_POLL_MIN_MS: "100",
    SUBSCRIPTION_POLL_MAX_MS: "200",
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
  };
  const [a, b] = await Promise.all([startServerHarness({ env }), startServerHarness({ env })]);
  return {
    emulator,
    a,
    b,
    close: async () => {
      await Promise.all([a.close(), b.close()]);
      await emulator.close();
    },
  };
}

async function createTask(h: ServerHarness): Promise<string> {
  const now = Date.now();
  const res = await postGraphQL(h.url, CREATE, { variables: { i: { type: "FLOW", startTime: iso(now - 3 * DAY), endTime: iso(now - 2 * DAY) } } });
  expect(res.body.errors).toBeUndefined();
  return (res.body.data as { createUsageExport: { taskId: string } }).createUsageExport.taskId;
}

const watch = (h: ServerHarness, taskId: string) => subscribeSse<Watched>(h.url, { query: WATCH, variables: { taskId } });

describe.skipIf(!hasRedis)("exportTaskUpdated across two replicas sharing Redis", () => {
  const prefix = uniquePrefix("task-watch");
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
  });

  describe("a task that stays created", () => {
    let r: Replicas;
    beforeAll(async () => {
      r = await startReplicas(3600, prefix);
    });
    afterAll(() => r.close());

    it("one subscriber on each replica: one poller overall; the follower takes over; polling stops with the last client", async () => {
      const { a, b, emulator } = r;
      const describes = (): number => emulator.stats().calls[DESCRIBE] ?? 0;
      const polls = (): { a: number; b: number } => ({ a: a.gateway.taskWatch.stats().polls, b: b.gateway.taskWatch.stats().polls });
      const taskId = await createTask(a);

      const onA = await watch(a, taskId);
      expect(statusOf(await onA.next())).toBe("CREATED");
      const onB = await watch(b, taskId);
      expect(statusOf(await onB.next())).toBe("CREATED");

      // A joined first and holds the lease; B follows without polling.
      expect(a.gateway.taskWatch.stats()).toMatchObject({ tasks: 1, subscribers: 1, pollers: 1 });
      expect(b.gateway.taskWatch.stats()).toMatchObject({ tasks: 1, subscribers: 1, pollers: 0 });
      const before = { describes: describes(), polls: polls() };
      await vi.waitFor(() => expect(describes()).toBeGreaterThanOrEqual(before.describes + 5), { timeout: 10_000, interval: 50 });
      const after = { describes: describes(), polls: polls() };
      expect(after.polls.b).toBe(before.polls.b);
      // Every upstream read in the window was one of A's polls (±1 read in flight at either end).
      expect(Math.abs(after.describes - before.describes - (after.polls.a - before.polls.a))).toBeLessThanOrEqual(1);

      // A's client leaves: A releases the lease and B's replica starts polling for its client.
      onA.close();
      await vi.waitFor(
        () => {
          expect(a.gateway.taskWatch.stats()).toMatchObject({ tasks: 0, pollers: 0 });
          expect(b.gateway.taskWatch.stats()).toMatchObject({ tasks: 1, pollers: 1 });
        },
        { timeout: 15_000, interval: 50 },
      );
      const handedOver = describes();
      await vi.waitFor(() => expect(describes()).toBeGreaterThanOrEqual(handedOver + 3), { timeout: 10_000, interval: 50 });

      onB.close();
      await vi.waitFor(() => expect(b.gateway.taskWatch.stats()).toMatchObject({ tasks: 0, pollers: 0 }), { timeout: 10_000, interval: 20 });
      await sleep(300);
      const stopped = describes();
      await sleep(1_000);
      expect(describes()).toBe(stopped);
      expect(await admin.exists(`${prefix}task-watch:lease:USAGE_DETAIL:${taskId}`)).toBe(0);
    });

    it("without tracing no command touches the span links", async () => {
      expect(tracingActive()).toBe(false);
      const { a, b } = r;
      // Every command on this run's keys, as Redis saw it (scripts' keys are among their arguments).
      const monitor = await admin.monitor();
      const seen: string[] = [];
      monitor.on("monitor", (_time: unknown, args: unknown) => {
        if (Array.isArray(args) && args.some((arg) => String(arg).startsWith(prefix))) seen.push(args.map(String).join(" "));
      });
      try {
        const taskId = await createTask(a);
        const onA = await watch(a, taskId);
        expect(statusOf(await onA.next())).toBe("CREATED");
        const onB = await watch(b, taskId);
        expect(statusOf(await onB.next())).toBe("CREATED");
        const polled = a.gateway.taskWatch.stats().polls;
        await vi.waitFor(() => expect(a.gateway.taskWatch.stats().polls).toBeGreaterThanOrEqual(polled + 3), { timeout: 10_000, interval: 50 });
        onA.close();
        onB.close();
        await vi.waitFor(() => expect(a.gateway.taskWatch.stats().tasks + b.gateway.taskWatch.stats().tasks).toBe(0), { timeout: 10_000, interval: 20 });
        await sleep(200);
        // The monitor did see the watch's commands, and none of them was about links.
        expect(seen.some((command) => command.includes(`task-watch:lease:USAGE_DETAIL:${taskId}`))).toBe(true);
        expect(seen.filter((command) => command.includes("task-watch:links:"))).toEqual([]);
      } finally {
        monitor.disconnect();
      }
    });
  });

  describe("a task that finishes", () => {
    let r: Replicas;
    beforeAll(async () => {
      r = await startReplicas(3, prefix);
    });
    afterAll(() => r.close());

    it("clients on both replicas see the same CREATED → SUCCESS transitions and complete", async () => {
      const { a, b } = r;
      const taskId = await createTask(b);
      const onA = await watch(a, taskId);
      const first = await onA.next();
      const onB = await watch(b, taskId);
      expect(await onB.next()).toEqual(first);
      expect(statusOf(first)).toBe("CREATED");
      const [restA, restB] = await Promise.all([onA.rest(), onB.rest()]);
      expect(restA.map(statusOf)).toEqual(["SUCCESS"]);
      expect(restB).toEqual(restA);
      expect(onA.completed && onB.completed).toBe(true);
      expect(a.gateway.taskWatch.stats().pollers + b.gateway.taskWatch.stats().pollers).toBe(0);
    });
  });
});
