/**
 * The task watch hub on its own, reading through the signed client from the emulator: backoff
 * schedule, emission only on change, how read failures end or do not end a watch, shutdown,
 * and a Redis outage (polls alone rather than not at all).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createRedisWatchCoordinator } from "../../src/live/redis-watch-coordinator.js";
import { createTaskReader } from "../../src/live/task-reader.js";
import { nextPollDelay } from "../../src/live/task-poller.js";
import type { TaskUpdate } from "../../src/live/task-update.js";
import { createTaskWatchHub, type TaskWatchHub, type TaskWatchObserver } from "../../src/live/task-watch-hub.js";
import { createRedisConnections } from "../../src/state/redis.js";
import type { TaskKey } from "../../src/reading/entity-scan.js";
import { startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";
import { closedPort } from "../helpers/redis.js";

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Reads every update in the background until the stream ends. */
function collect(stream: AsyncGenerator<TaskUpdate>): { updates: TaskUpdate[]; done: Promise<void> } {
  const updates: TaskUpdate[] = [];
  const done = (async () => {
    for await (const update of stream) updates.push(update);
  })();
  return { updates, done };
}

const codeOf = (update: TaskUpdate | undefined): unknown => (update?.type === "error" ? update.error.code : undefined);
const statusOf = (update: TaskUpdate | undefined): unknown => (update?.type === "task" ? update.task.rawStatus : undefined);

describe("poll backoff", () => {
  it("doubles from the minimum to the maximum while unchanged and resets on a change", () => {
    const intervals = { minIntervalMs: 1_000, maxIntervalMs: 15_000 };
    const delays: number[] = [];
    let delay = intervals.minIntervalMs;
    for (let i = 0; i < 6; i++) delays.push((delay = nextPollDelay(delay, false, intervals)));
    expect(delays).toEqual([2_000, 4_000, 8_000, 15_000, 15_000, 15_000]);
    expect(nextPollDelay(15_000, true, intervals)).toBe(1_000);
  });
});

describe("task watch hub", () => {
  let h: GatewayHarness;
  let key: TaskKey;
  const hubs: TaskWatchHub[] = [];
  const pollOutcomes: string[] = [];
  const observer: TaskWatchObserver = { onPoll: ({ outcome }) => pollOutcomes.push(outcome) };
  const newHub = (extra: Partial<Parameters<typeof createTaskWatchHub>[0]> = {}): TaskWatchHub => {
    const hub = createTaskWatchHub({ read: createTaskReader(h.client), minIntervalMs: 50, maxIntervalMs: 100, observer, ...extra });
    hubs.push(hub);
    return hub;
  };

  beforeAll(async () => {
    // Tasks stay `created` for an hour: a watch sees no change unless the test makes one.
    h = await startGatewayHarness({ emulator: { taskSeconds: 3600, historySize: 0 } });
    const now = Date.now();
    const created = await h.client.createUsageDetailTask({ type: "flow", startTime: iso(now - 3 * DAY), endTime: iso(now - 2 * DAY) });
    key = { kind: "USAGE_DETAIL", taskId: created.taskId };
  });
  afterAll(async () => {
    await Promise.all(hubs.map((hub) => hub.close()));
    await h.close();
  });
  beforeEach(() => {
    h.emulator.setFaults({});
    pollOutcomes.length = 0;
  });

  it("emits the current state once and nothing while polls see no change", async () => {
    const hub = newHub();
    const stream = hub.watch(key);
    const { updates, done } = collect(stream);
    await vi.waitFor(() => expect(pollOutcomes.length).toBeGreaterThanOrEqual(5), { timeout: 10_000, interval: 20 });
    await stream.return(undefined);
    await done;
    expect(updates.map(statusOf)).toEqual(["created"]);
    expect(pollOutcomes[0]).toBe("changed");
    expect(pollOutcomes.slice(1).every((o) => o === "unchanged")).toBe(true);
    expect(hub.stats()).toEqual({ tasks: 0, subscribers: 0, pollers: 0, polls: pollOutcomes.length });
  });

  it("a read that fails before the first event ends the watch with the upstream error", async () => {
    h.emulator.setFaults({ serverErrorRate: 1 });
    const hub = newHub();
    const { updates, done } = collect(hub.watch(key));
    await done;
    expect(updates).toHaveLength(1);
    expect(codeOf(updates[0])).toBe("UPSTREAM_UNAVAILABLE");
    expect(hub.stats()).toMatchObject({ tasks: 0, pollers: 0 });
  });

  it("a read that fails after the first event is retried; the stream stays open", async () => {
    const failures: unknown[] = [];
    const hub = newHub({ onPollError: (error) => failures.push(error) });
    const { updates, done } = collect(hub.watch(key));
    await vi.waitFor(() => expect(updates).toHaveLength(1), { timeout: 10_000, interval: 20 });
    h.emulator.setFaults({ serverErrorRate: 1 });
    await vi.waitFor(() => expect(failures.length).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 20 });
    h.emulator.setFaults({});
    const seen = pollOutcomes.length;
    await vi.waitFor(() => expect(pollOutcomes.slice(seen)).toContain("unchanged"), { timeout: 10_000, interval: 20 });
    expect(hub.stats()).toMatchObject({ tasks: 1, subscribers: 1, pollers: 1 });
    await hub.close();
    await done;
    expect(updates.map(statusOf)).toEqual(["created"]);
  });

  it("a task deleted while watched ends the watch with NOT_FOUND", async () => {
    const now = Date.now();
    const doomed = await h.client.createUsageDetailTask({ type: "flow", startTime: iso(now - 5 * DAY), endTime: iso(now - 4 * DAY) });
    const hub = newHub();
    const { updates, done } = collect(hub.watch({ kind: "USAGE_DETAIL", taskId: doomed.taskId }));
    await vi.waitFor(() => expect(updates).toHaveLength(1), { timeout: 10_000, interval: 20 });
    await h.client.deleteTask("USAGE_DETAIL", doomed.taskId);
    await done;
    expect(updates.map((u) => statusOf(u) ?? codeOf(u))).toEqual(["created", "NOT_FOUND"]);
  });

  it("close() completes every stream, and later watches end at once", async () => {
    const hub = newHub();
    const first = collect(hub.watch(key));
    const second = collect(hub.watch(key));
    await vi.waitFor(() => expect(second.updates).toHaveLength(1), { timeout: 10_000, interval: 20 });
    expect(hub.stats()).toMatchObject({ tasks: 1, subscribers: 2, pollers: 1 });
    await hub.close();
    await Promise.all([first.done, second.done]);
    const late = collect(hub.watch(key));
    await late.done;
    expect(late.updates).toEqual([]);
    expect(hub.stats()).toMatchObject({ tasks: 0, subscribers: 0, pollers: 0 });
  });

  it("with Redis unreachable a replica polls on its own", async () => {
    const port = await closedPort();
    const redis = createRedisConnections(`redis://127.0.0.1:${port}`, { onError: () => undefined });
    const coordinator = createRedisWatchCoordinator({ commands: redis.commands, subscriber: redis.subscriber, keyPrefix: "test:unreachable:", leaseMs: 300 });
    const hub = newHub({ coordinator });
    const { updates, done } = collect(hub.watch(key));
    try {
      await vi.waitFor(() => expect(updates.map(statusOf)).toEqual(["created"]), { timeout: 10_000, interval: 20 });
      expect(hub.stats()).toMatchObject({ pollers: 1 });
    } finally {
      await hub.close();
      await done;
      await redis.close();
    }
  });
});
