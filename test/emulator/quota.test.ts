/** The per-AccessKey quota (Throttling 503 + x-acs-retry-after) and the bounded nonce memory. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { NonceStore } from "../../src/emulator/nonce-store.js";
import { CallQuota } from "../../src/emulator/quota.js";
import { manualClock } from "./clock.js";
import { callV1, callV3 } from "./signed-call.js";

describe("quota over HTTP", () => {
  const clock = manualClock(Date.UTC(2025, 5, 15, 12, 0, 0) + 250);
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ now: clock.now, historySize: 0, quotaPerSecond: 3 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it("admits quotaPerSecond calls per second, all actions and both signatures together", async () => {
    emulator.resetStats();
    const time = clock.now();
    expect((await callV3(emulator, "DescribeUserUsageDataExportTask", {}, { time })).status).toBe(200);
    expect((await callV1(emulator, "DescribeUserUsageDetailDataExportTask", {}, { time })).status).toBe(200);
    expect((await callV3(emulator, "DeleteUserUsageDataExportTask", { TaskId: "1" }, { time })).status).toBe(404);

    const throttled = await callV3(emulator, "DescribeUserUsageDataExportTask", {}, { time });
    expect(throttled.status).toBe(503);
    expect(throttled.body).toMatchObject({ Code: "Throttling", Message: "Request was denied due to request throttling." });
    expect(throttled.headers.get("x-acs-retry-after")).toBe("750");
    expect(emulator.stats()).toMatchObject({ total: 4, throttled: 1 });

    clock.advance(750); // the next one-second window
    expect((await callV3(emulator, "DescribeUserUsageDataExportTask", {}, { time: clock.now() })).status).toBe(200);
  });

  it("does not count calls that fail authentication", async () => {
    clock.advance(1000);
    for (let i = 0; i < 5; i++) {
      const result = await callV3(emulator, "DescribeUserUsageDataExportTask", {}, { time: clock.now(), secret: "wrong" });
      expect(result.body.Code).toBe("SignatureDoesNotMatch");
    }
    expect((await callV3(emulator, "DescribeUserUsageDataExportTask", {}, { time: clock.now() })).status).toBe(200);
  });

  it("lets a throttled call be retried with the same nonce", async () => {
    clock.advance(1000);
    const time = clock.now();
    for (let i = 0; i < 3; i++) await callV3(emulator, "DescribeUserUsageDataExportTask", {}, { time });
    const first = await callV3(emulator, "DescribeUserUsageDataExportTask", {}, { time, nonce: "retry-me" });
    expect(first.body.Code).toBe("Throttling");
    clock.advance(1000);
    const retry = await callV3(emulator, "DescribeUserUsageDataExportTask", {}, { time, nonce: "retry-me" });
    expect(retry.status).toBe(200);
  });
});

describe("CallQuota", () => {
  it("counts per AccessKey in one-second windows", () => {
    const quota = new CallQuota(2);
    expect(quota.take("a", 10_100)).toBeUndefined();
    expect(quota.take("a", 10_200)).toBeUndefined();
    expect(quota.take("a", 10_900)).toBe(100);
    expect(quota.take("b", 10_900)).toBeUndefined();
    expect(quota.take("a", 11_000)).toBeUndefined();
  });
});

describe("NonceStore", () => {
  it("refuses a nonce within the window and accepts it after", () => {
    const nonces = new NonceStore(1000, 100);
    expect(nonces.claim("n", 0)).toBe(true);
    expect(nonces.claim("n", 999)).toBe(false);
    expect(nonces.claim("n", 1000)).toBe(true);
  });

  it("sweeps expired nonces and never holds more than maxEntries", () => {
    const nonces = new NonceStore(1000, 50);
    for (let i = 0; i < 500; i++) nonces.claim(`n${i}`, i);
    expect(nonces.size).toBe(50);
    nonces.claim("late", 10_000);
    expect(nonces.size).toBe(1);
  });
});
