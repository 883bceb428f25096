/** Programmable faults (setFaults / options) and the per-action call stats tests rely on. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { callV1, callV3 } from "./signed-call.js";

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ historySize: 3, quotaPerSecond: 1_000_000 });
});
afterEach(() => {
  emulator.setFaults({});
});
afterAll(async () => {
  await emulator.close();
});

const DESCRIBE = "DescribeUserUsageDataExportTask";

describe("faults", () => {
  it("throttleRate 1: every call is Throttling 503 with x-acs-retry-after, and has no effect", async () => {
    emulator.setFaults({ throttleRate: 1 });
    const result = await callV3(emulator, "CreateUserUsageDataExportTask", { StartTime: "2099-01-01T00:00:00Z", EndTime: "2099-01-02T00:00:00Z" });
    expect(result.status).toBe(503);
    expect(result.body).toMatchObject({ Code: "Throttling" });
    expect(Number(result.headers.get("x-acs-retry-after"))).toBeGreaterThan(0);
    emulator.setFaults({});
    expect((await callV3(emulator, DESCRIBE)).body).toMatchObject({ UsageDataPerPage: { TotalCount: 3 } });
  });

  it("serverErrorRate 1: ServiceUnavailable 503 or InternalError 500, with the error body", async () => {
    emulator.setFaults({ serverErrorRate: 1 });
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const result = await callV1(emulator, DESCRIBE);
      expect([`503 ServiceUnavailable`, `500 InternalError`]).toContain(`${result.status} ${String(result.body.Code)}`);
      expect(result.body.RequestId).toBeTruthy();
      seen.add(String(result.body.Code));
    }
    expect(seen.size).toBe(2);
  });

  it("dropRate 1: the connection is destroyed without an answer", async () => {
    emulator.setFaults({ dropRate: 1 });
    await expect(callV3(emulator, DESCRIBE)).rejects.toThrow(/fetch failed/);
  });

  it("malformedRate 1: 200 with a body that is not the documented JSON", async () => {
    emulator.setFaults({ malformedRate: 1 });
    for (let i = 0; i < 6; i++) {
      const result = await callV3(emulator, DESCRIBE);
      expect(result.status).toBe(200);
      expect(result.body.UsageDataPerPage).toBeUndefined();
    }
  });

  it("latencyMs delays the answer", async () => {
    emulator.setFaults({ latencyMs: 150 });
    const started = performance.now();
    expect((await callV3(emulator, DESCRIBE)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("a fractional rate hits some calls and spares others", async () => {
    emulator.setFaults({ serverErrorRate: 0.5 });
    const statuses = await Promise.all(Array.from({ length: 40 }, async () => (await callV3(emulator, DESCRIBE)).status));
    expect(statuses).toContain(200);
    expect(statuses.some((s) => s >= 500)).toBe(true);
  });

  it("setFaults replaces the whole picture and refuses out-of-range values", () => {
    expect(() => emulator.setFaults({ dropRate: 1.5 })).toThrow(/dropRate/);
    expect(() => emulator.setFaults({ latencyMs: -1 })).toThrow(/latencyMs/);
  });

  it("takes faults as a start option", async () => {
    const faulty = await startEmulator({ historySize: 0, faults: { throttleRate: 1 } });
    try {
      expect((await callV3(faulty, DESCRIBE)).body.Code).toBe("Throttling");
      expect(faulty.stats().throttled).toBe(0); // injected, not the quota
    } finally {
      await faulty.close();
    }
  });
});

describe("stats", () => {
  it("counts calls per action, accepted or not, until reset", async () => {
    emulator.resetStats();
    await callV3(emulator, DESCRIBE);
    await callV1(emulator, DESCRIBE);
    await callV3(emulator, "DescribeUserUsageDetailDataExportTask", {}, { secret: "wrong" });
    await callV3(emulator, "DeleteUserUsageDataExportTask", { TaskId: "1" });
    await callV3(emulator, "NoSuchAction");
    emulator.setFaults({ dropRate: 1 });
    await callV3(emulator, DESCRIBE).catch(() => undefined);
    expect(emulator.stats()).toEqual({
      calls: {
        [DESCRIBE]: 3,
        DescribeUserUsageDetailDataExportTask: 1,
        DeleteUserUsageDataExportTask: 1,
        "(unknown)": 1,
      },
      total: 6,
      throttled: 0,
    });
    emulator.resetStats();
    expect(emulator.stats()).toEqual({ calls: {}, total: 0, throttled: 0 });
  });

  it("returns a snapshot the caller cannot change", async () => {
    emulator.resetStats();
    const snapshot = emulator.stats();
    snapshot.calls.X = 5;
    await callV3(emulator, DESCRIBE);
    expect(emulator.stats().calls).toEqual({ [DESCRIBE]: 1 });
  });
});
