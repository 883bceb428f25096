/**
 * usageSeries over files the emulator writes, against values computed here straight from the
 * synthetic series: buckets keyed by the platform's own wall-clock text, sums, the highest
 * 5-minute bandwidth per bucket, and the summary's peak and p95 (index ceil(0.95·n)−1).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatedTask } from "../../src/emulator/task.js";
import { usageSeries, type UsageQuery, type UsageSeries } from "../../src/exports/usage-series.js";
import type { UsageTable } from "../../src/exports/usage-table.js";
import { readUsageWorkbook } from "../../src/exports/workbook-reader.js";
import type { UsageInterval } from "../../src/exports/zoned-time.js";
import { expectedSlots, SLOT_MS, tempFiles, usageTask, wallText, type TempFiles } from "./workbook-files.js";

const flowTask = usageTask({ startTime: "2025-06-01T00:00:00Z", endTime: "2025-06-04T00:00:00Z", language: "en-us" });
const vasTask = usageTask({ usageType: "vas", startTime: "2025-06-01T00:00:00Z", endTime: "2025-06-02T00:00:00Z" });
let files: TempFiles;
let flow: UsageTable;
let vas: UsageTable;

beforeAll(async () => {
  files = await tempFiles();
  flow = await readUsageWorkbook(await files.workbook(flowTask, { titleRows: true, time: "zoned-text", trafficUnit: "MB" }), { fileTimeZone: "Asia/Shanghai" });
  vas = await readUsageWorkbook(await files.workbook(vasTask, { sharedStrings: true }), { fileTimeZone: "Asia/Shanghai" });
});
afterAll(async () => {
  await files.remove();
});

interface Expected {
  times: number[];
  traffic: number[];
  bandwidth: number[];
  requests: number[];
  summary: { trafficBytes: number; requests: number; peakBandwidthBps: number; peakAt: number; p95BandwidthBps: number };
}

/** Slot totals (one domain, or all summed) in [from, to), then buckets keyed by wall-clock text. */
function expected(task: EmulatedTask, query: UsageQuery): Expected {
  const perSlot = new Map<number, { traffic: number; bandwidth: number; requests: number }>();
  for (const slot of expectedSlots(task)) {
    if (query.domain != null && slot.domain !== query.domain) continue;
    if (slot.time < (query.from ?? -Infinity) || slot.time >= (query.to ?? Infinity)) continue;
    const held = perSlot.get(slot.time) ?? { traffic: 0, bandwidth: 0, requests: 0 };
    held.traffic += slot.trafficBytes;
    held.bandwidth += slot.bandwidthBps;
    held.requests += slot.requests;
    perSlot.set(slot.time, held);
  }
  const keyLength: Record<UsageInterval, number> = { FIVE_MINUTES: 16, HOUR: 13, DAY: 10 };
  const buckets = new Map<string, { start: number; traffic: number; bandwidth: number; requests: number }>();
  for (const [time, slot] of perSlot) {
    const wall = wallText(time, query.timeZone);
    const key = wall.slice(0, keyLength[query.interval]);
    // The bucket's start: back from the slot by the wall clock's minutes (and hours, for days).
    const back = query.interval === "FIVE_MINUTES" ? 0 : (Number(wall.slice(14, 16)) + (query.interval === "DAY" ? Number(wall.slice(11, 13)) * 60 : 0)) * 60_000;
    const bucket = buckets.get(key) ?? { start: time - back, traffic: 0, bandwidth: 0, requests: 0 };
    bucket.traffic += slot.traffic;
    bucket.bandwidth = Math.max(bucket.bandwidth, slot.bandwidth);
    bucket.requests += slot.requests;
    buckets.set(key, bucket);
  }
  const values = [...perSlot.entries()];
  const sorted = values.map(([, slot]) => slot.bandwidth).sort((a, b) => a - b);
  const peak = Math.max(...sorted);
  const all = [...buckets.values()];
  return {
    times: all.map((bucket) => bucket.start),
    traffic: all.map((bucket) => bucket.traffic),
    bandwidth: all.map((bucket) => bucket.bandwidth),
    requests: all.map((bucket) => bucket.requests),
    summary: {
      trafficBytes: values.reduce((sum, [, slot]) => sum + slot.traffic, 0),
      requests: values.reduce((sum, [, slot]) => sum + slot.requests, 0),
      peakBandwidthBps: peak,
      peakAt: values.find(([, slot]) => slot.bandwidth === peak)?.[0] ?? Number.NaN,
      p95BandwidthBps: sorted[Math.ceil(0.95 * sorted.length) - 1] ?? Number.NaN,
    },
  };
}

function close(actual: ArrayLike<number> | null, wanted: number[]): void {
  expect(actual).not.toBeNull();
  expect(actual!.length).toBe(wanted.length);
  // Traffic went through MB in the file: equal to a part in 10¹².
  for (let i = 0; i < wanted.length; i++) expect(Math.abs(actual![i]! - wanted[i]!)).toBeLessThanOrEqual(Math.max(1e-3, wanted[i]! * 1e-12));
}

function expectSeries(series: UsageSeries, want: Expected): void {
  expect(Array.from(series.points.times)).toEqual(want.times);
  close(series.points.trafficBytes, want.traffic);
  close(series.points.bandwidthBps, want.bandwidth);
  expect(series.points.requests).toBeNull();
  close([series.summary.trafficBytes ?? Number.NaN], [want.summary.trafficBytes]);
  close([series.summary.peakBandwidthBps ?? Number.NaN, series.summary.p95BandwidthBps ?? Number.NaN], [want.summary.peakBandwidthBps, want.summary.p95BandwidthBps]);
  expect(series.summary.peakAt).toBe(want.summary.peakAt);
  expect(series.summary.requests).toBeNull();
}

describe("usageSeries", () => {
  const cases: [string, UsageQuery][] = [
    ["5-minute points, all domains, UTC", { interval: "FIVE_MINUTES", timeZone: "UTC" }],
    ["hours in Shanghai, one domain", { interval: "HOUR", timeZone: "Asia/Shanghai", domain: "b.example.com" }],
    ["days in Shanghai, all domains: the first and last days are partial", { interval: "DAY", timeZone: "Asia/Shanghai" }],
    ["days in UTC from a time inside a day", { interval: "DAY", timeZone: "UTC", from: Date.UTC(2025, 5, 1, 13, 7), to: Date.UTC(2025, 5, 3, 2) }],
    ["hours in Kathmandu (+05:45), from/to inside hours", { interval: "HOUR", timeZone: "Asia/Kathmandu", from: Date.UTC(2025, 5, 2, 3, 40), to: Date.UTC(2025, 5, 2, 9, 10), domain: "a.example.com" }],
  ];
  it.each(cases)("%s", (_name, query) => {
    const series = usageSeries(flow, query);
    expect(series.usageType).toBe("FLOW");
    expect(series.domains).toEqual(["a.example.com", "b.example.com", "c.example.com"]);
    expectSeries(series, expected(flowTask, query));
  });

  it("the span covered is the file's, cut by from/to", () => {
    const whole = usageSeries(flow, { interval: "HOUR", timeZone: "UTC", from: Date.UTC(2024, 0, 1), to: Date.UTC(2030, 0, 1) });
    expect([whole.from, whole.to]).toEqual([Date.UTC(2025, 5, 1), Date.UTC(2025, 5, 4)]);
    expect(whole.points.times.length).toBe(72);
    const cut = usageSeries(flow, { interval: "FIVE_MINUTES", timeZone: "UTC", from: Date.UTC(2025, 5, 2), to: Date.UTC(2025, 5, 2, 1) });
    expect([cut.from, cut.to]).toEqual([Date.UTC(2025, 5, 2), Date.UTC(2025, 5, 2, 1)]);
    expect(cut.points.times.length).toBe(12);
  });

  it("a domain compares case-insensitively; one the file does not have has no points", () => {
    const upper = usageSeries(flow, { interval: "DAY", timeZone: "UTC", domain: "B.Example.COM" });
    expect(upper.summary).toEqual(usageSeries(flow, { interval: "DAY", timeZone: "UTC", domain: "b.example.com" }).summary);
    const none = usageSeries(flow, { interval: "DAY", timeZone: "UTC", domain: "other.example.com" });
    expect(none.points.times.length).toBe(0);
    expect(none.summary).toEqual({ trafficBytes: null, requests: null, peakBandwidthBps: null, peakAt: null, p95BandwidthBps: null });
  });

  it("a New York day where clocks go back is 25 hours (of 5-minute slots)", async () => {
    const task = usageTask({ startTime: "2025-11-02T00:00:00Z", endTime: "2025-11-04T00:00:00Z", domains: ["a.example.com"] });
    const table = await readUsageWorkbook(await files.workbook(task), { fileTimeZone: "Asia/Shanghai" });
    const series = usageSeries(table, { interval: "DAY", timeZone: "America/New_York", from: Date.UTC(2025, 10, 2, 4), to: Date.UTC(2025, 10, 3, 5) });
    expect(Array.from(series.points.times)).toEqual([Date.UTC(2025, 10, 2, 4)]);
    const slots = expectedSlots(task).filter((slot) => slot.time >= Date.UTC(2025, 10, 2, 4) && slot.time < Date.UTC(2025, 10, 3, 5));
    expect(slots).toHaveLength(25 * 12);
    close(series.points.trafficBytes, [slots.reduce((sum, slot) => sum + slot.trafficBytes, 0)]);
  });

  it("vas: requests summed, no traffic or bandwidth", () => {
    const series = usageSeries(vas, { interval: "HOUR", timeZone: "Asia/Shanghai" });
    expect(series.usageType).toBe("VAS");
    expect(series.points.trafficBytes).toBeNull();
    expect(series.points.bandwidthBps).toBeNull();
    const slots = expectedSlots(vasTask);
    const hours = new Map<string, number>();
    for (const slot of slots) hours.set(wallText(slot.time, "Asia/Shanghai").slice(0, 13), (hours.get(wallText(slot.time, "Asia/Shanghai").slice(0, 13)) ?? 0) + slot.requests);
    expect(Array.from(series.points.requests!)).toEqual([...hours.values()]);
    expect(series.summary).toEqual({
      trafficBytes: null,
      requests: slots.reduce((sum, slot) => sum + slot.requests, 0),
      peakBandwidthBps: null,
      peakAt: null,
      p95BandwidthBps: null,
    });
    expect(series.points.times.length).toBe(24);
    expect(series.points.times[1]! - series.points.times[0]!).toBe(12 * SLOT_MS);
  });

  it("an unknown time zone is a RangeError", () => {
    expect(() => usageSeries(flow, { interval: "HOUR", timeZone: "Mars/Olympus" })).toThrow(RangeError);
  });
});
