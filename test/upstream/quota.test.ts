/**
 * The in-process quota on a fake clock (vitest's fake timers; the quota reads Date.now), so
 * every time below is exact, and the client's use of it against a real loopback server.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { UpstreamQuotaExhaustedError } from "../../src/upstream/errors.js";
import { createMemoryQuota, type QuotaPermit, type UpstreamQuota } from "../../src/upstream/quota/index.js";
import { json, startUpstreamTestServer, upstreamError, type UpstreamTestServer } from "../helpers/upstream-test-server.js";
import { AK, clientFor, pageBody } from "./fixtures.js";
import { busiestWindow, gapsBetweenStarts, type CallSpan } from "./quota-windows.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function fakeClockQuota(ratePerSecond: number, maxWaitMs = 60_000): UpstreamQuota {
  return createMemoryQuota({ ratePerSecond, maxWaitMs, now: () => Date.now() });
}

/** Acquires now; `granted` says whether it resolved yet. */
function track(promise: Promise<QuotaPermit>): { granted: () => boolean; permit: Promise<QuotaPermit> } {
  let granted = false;
  const permit = promise.then((value) => {
    granted = true;
    return value;
  });
  permit.catch(() => undefined);
  return { granted: () => granted, permit };
}

async function expectExhausted(quota: UpstreamQuota): Promise<void> {
  const error = await quota.acquire("CreateUserUsageDataExportTask").catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UpstreamQuotaExhaustedError);
  expect(error).toMatchObject({ code: "UPSTREAM_QUOTA_EXHAUSTED", outcome: "quota", action: "CreateUserUsageDataExportTask" });
  expect((error as Error).message).toMatch(/^CreateUserUsageDataExportTask: gateway quota exhausted/);
}

describe("memory quota", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lets an idle burst go at once, up to the burst size (90/s: 15), and paces the rest", async () => {
    const quota = fakeClockQuota(90);
    const burst = Array.from({ length: 15 }, () => track(quota.acquire("DescribeUsageDetailDataExportTask")));
    const next = track(quota.acquire("DescribeUsageDetailDataExportTask"));
    await vi.advanceTimersByTimeAsync(0);
    expect(burst.map((call) => call.granted())).toEqual(Array<boolean>(15).fill(true));
    expect(next.granted()).toBe(false);
    await vi.advanceTimersByTimeAsync(12); // one slot of 1000/90 ms
    expect(next.granted()).toBe(true);
  });

  it("a fan-out of 12 pages reads them together when the quota is idle", async () => {
    const quota = fakeClockQuota(90);
    const pages = Array.from({ length: 12 }, () => track(quota.acquire("DescribeUsageDetailDataExportTask")));
    await vi.advanceTimersByTimeAsync(0);
    expect(pages.every((page) => page.granted())).toBe(true);
  });

  it("never lets more than the rate meet any one-second window, however long calls take", async () => {
    const rate = 10;
    const quota = fakeClockQuota(rate);
    const latencies = [0, 40, 250, 5, 120, 600, 1500, 10];
    const spans: CallSpan[] = [];
    const calls = Array.from({ length: 80 }, async (_, i) => {
      const permit = await quota.acquire("DescribeUsageDetailDataExportTask");
      const start = Date.now();
      await sleep(latencies[i % latencies.length] ?? 0);
      spans.push({ start, end: Date.now() });
      permit.release();
    });
    await vi.advanceTimersByTimeAsync(30_000);
    await Promise.all(calls);
    expect(spans).toHaveLength(80);
    expect(busiestWindow(spans)).toBe(rate);
    // Waiters after the first burst go at least one slot (100 ms) apart, give or take the 2 ms slack.
    const queuedGaps = gapsBetweenStarts(spans).slice(rate);
    expect(Math.min(...queuedGaps)).toBeGreaterThanOrEqual(98);
  });

  it("counts a call in flight until one window after it is over", async () => {
    const quota = fakeClockQuota(1);
    const first = await quota.acquire("a");
    const second = track(quota.acquire("a"));
    await vi.advanceTimersByTimeAsync(5_000); // the first call is still running
    expect(second.granted()).toBe(false);
    first.release();
    await vi.advanceTimersByTimeAsync(999);
    expect(second.granted()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(second.granted()).toBe(true);
  });

  it("releases one waiter after a late timer, not the backlog", async () => {
    const rate = 10;
    const quota = fakeClockQuota(rate);
    const permits = await Promise.all(Array.from({ length: rate }, () => quota.acquire("a")));
    for (const permit of permits) permit.release();
    const waiters = Array.from({ length: 5 }, () => track(quota.acquire("a")));
    // The event loop stalls: the clock runs 3 s on while the timer waits to fire.
    vi.setSystemTime(Date.now() + 3_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(waiters.filter((waiter) => waiter.granted())).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(waiters.filter((waiter) => waiter.granted())).toHaveLength(2);
  });

  it("lets a waiter leave on abort, with its signal's reason, and the next one take its place", async () => {
    const quota = fakeClockQuota(1);
    const first = await quota.acquire("a");
    const controller = new AbortController();
    const leaving = quota.acquire("a", { signal: controller.signal });
    const staying = track(quota.acquire("a"));
    const reason = new Error("client went away");
    controller.abort(reason);
    await expect(leaving).rejects.toBe(reason);
    first.release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(staying.granted()).toBe(true);
    await expect(quota.acquire("a", { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
  });

  it("fails at once with UpstreamQuotaExhaustedError when no slot can come within maxWaitMs", async () => {
    const quota = fakeClockQuota(2, 100);
    await quota.acquire("a");
    await quota.acquire("a");
    await expectExhausted(quota); // both permits in flight: the earliest is a window away
  });

  it("fails a waiter at its deadline when the slot it expected did not come", async () => {
    const quota = fakeClockQuota(1, 1_500);
    await quota.acquire("a"); // never released within the test
    const waiting = quota.acquire("CreateUserUsageDataExportTask").catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await waiting).toBeInstanceOf(UpstreamQuotaExhaustedError);
  });

  it("reports how long a waiter waited", async () => {
    const waits: number[] = [];
    const quota = fakeClockQuota(1);
    (await quota.acquire("a")).release();
    const waiting = quota.acquire("a", { observer: { onQuotaWait: (e) => waits.push(e.waitedMs) } });
    await vi.advanceTimersByTimeAsync(1_000);
    await waiting;
    expect(waits).toEqual([1_000]);
  });

  it("refuses a rate that is not a positive integer", () => {
    expect(() => createMemoryQuota({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => createMemoryQuota({ ratePerSecond: 1.5 })).toThrow(RangeError);
  });
});

describe("quota in the client", () => {
  let server: UpstreamTestServer;
  beforeAll(async () => {
    server = await startUpstreamTestServer({ credentials: [AK], handler: () => json(pageBody([])) });
  });
  afterAll(async () => {
    await server.close();
  });

  it("stops calls over the quota before they reach the upstream, and reports them", async () => {
    const outcomes: string[] = [];
    const client = clientFor(server, {
      quota: createMemoryQuota({ ratePerSecond: 2, maxWaitMs: 50 }),
      observer: { onCall: (e) => outcomes.push(e.outcome) },
    });
    const from = server.hits.length;
    try {
      const results = await Promise.allSettled([1, 2, 3].map((n) => client.describeTasks("USAGE_DETAIL", { pageNumber: n, pageSize: 50 })));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
      const failed = results.find((r) => r.status === "rejected");
      expect(failed?.reason).toBeInstanceOf(UpstreamQuotaExhaustedError);
    } finally {
      await client.close();
    }
    expect(server.hits.length - from).toBe(2);
    expect(outcomes.sort()).toEqual(["ok", "ok", "quota"]);
  });

  it("spends quota on every retry attempt", async () => {
    server.handler = () => upstreamError("InternalError", "oops", 500);
    const client = clientFor(server, { quota: createMemoryQuota({ ratePerSecond: 2, maxWaitMs: 50 }), maxAttempts: 3 });
    const from = server.hits.length;
    try {
      await expect(client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 })).rejects.toBeInstanceOf(
        UpstreamQuotaExhaustedError,
      );
    } finally {
      await client.close();
    }
    expect(server.hits.length - from).toBe(2);
  });

  it("holds each attempt's permit until its answer (or failure) is in", async () => {
    const events: string[] = [];
    const inner = createMemoryQuota({ ratePerSecond: 100 });
    const quota: UpstreamQuota = {
      async acquire(action, options) {
        const permit = await inner.acquire(action, options);
        events.push("acquire");
        return {
          release: () => {
            events.push("release");
            permit.release();
          },
        };
      },
    };
    let answers = 0;
    server.handler = () => {
      events.push("upstream");
      answers += 1;
      return answers === 1 ? upstreamError("InternalError", "oops", 500) : json(pageBody([]));
    };
    const client = clientFor(server, { quota, maxAttempts: 3 });
    try {
      await client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 });
    } finally {
      await client.close();
    }
    expect(events).toEqual(["acquire", "upstream", "release", "acquire", "upstream", "release"]);
  });
});
