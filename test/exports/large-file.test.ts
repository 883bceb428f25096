/**
 * The largest export there is: 31 days of 5-minute rows over 100 domains (892,800 rows),
 * written by the emulator's streaming writer, read into at most 40 bytes a row (usage columns
 * and raw sheets together), with every total equal to the synthetic series summed here.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { hashName, usageAt } from "../../src/emulator/usage-series.js";
import { usageSeries } from "../../src/exports/usage-series.js";
import { readExportWorkbook } from "../../src/exports/workbook-reader.js";
import { SLOT_MS, tempFiles, usageTask, type TempFiles } from "./workbook-files.js";

const DOMAINS = Array.from({ length: 100 }, (_, i) => `d${String(i).padStart(3, "0")}.example.com`);
const task = usageTask({ startTime: "2025-05-01T00:00:00Z", endTime: "2025-06-01T00:00:00Z", domains: DOMAINS });
let files: TempFiles;

beforeAll(async () => {
  files = await tempFiles();
});
afterAll(async () => {
  await files.remove();
});

it("31 days × 100 domains: every row, ≤ 40 bytes a row, the right totals", { timeout: 300_000 }, async () => {
  const path = await files.workbook(task, { sharedStrings: true, time: "zoned-text" });
  const parsed = await readExportWorkbook(path, { fileTimeZone: "Asia/Shanghai", timeoutMs: 280_000 });
  const table = parsed.usage;
  expect(table.rowCount).toBe(31 * 288 * 100);
  // The whole kept form, the raw sheets included, stays within 40 bytes a row too.
  expect(parsed.byteSize / table.rowCount).toBeLessThanOrEqual(40);
  expect(parsed.sheets[0]?.rowCount).toBe(31 * 288 * 100);
  expect(table.domains).toEqual(DOMAINS);
  expect(table.times.length).toBe(31 * 288);
  expect(table.byteSize / table.rowCount).toBeLessThanOrEqual(40);

  let traffic = 0;
  const perSlot = new Float64Array(31 * 288);
  for (const domain of DOMAINS) {
    const seed = hashName(`${task.taskId}/${domain}`);
    for (let i = 0; i < perSlot.length; i++) {
      const usage = usageAt(seed, Date.UTC(2025, 4, 1) + i * SLOT_MS);
      traffic += usage.trafficBytes;
      perSlot[i]! += usage.bandwidthBps;
    }
  }
  const sorted = Float64Array.from(perSlot).sort();
  const series = usageSeries(table, { interval: "HOUR", timeZone: "UTC" });
  expect(series.points.times.length).toBe(744);
  // Sums pass 2⁵³ bytes: equal to a part in 10¹², whatever the order of adding.
  expect(Math.abs(series.summary.trafficBytes! - traffic) / traffic).toBeLessThan(1e-12);
  expect(series.summary.peakBandwidthBps).toBe(sorted[sorted.length - 1]);
  expect(series.summary.p95BandwidthBps).toBe(sorted[Math.ceil(0.95 * sorted.length) - 1]);
});
