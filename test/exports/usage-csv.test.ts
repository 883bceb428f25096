/**
 * The usage CSV: lines per domain and bucket (or summed), the same numbers as usageSeries, and
 * streamed: it waits for a slow reader and stops when the reader goes away.
 */
import { PassThrough, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CSV_HEADER, decimal, writeUsageCsv } from "../../src/exports/usage-csv.js";
import { usageSeries } from "../../src/exports/usage-series.js";
import type { UsageTable } from "../../src/exports/usage-table.js";
import { readUsageWorkbook } from "../../src/exports/workbook-reader.js";
import { expectedSlots, tempFiles, usageTask, type TempFiles } from "./workbook-files.js";

const task = usageTask({ startTime: "2025-06-01T00:00:00Z", endTime: "2025-06-03T00:00:00Z" });
let files: TempFiles;
let table: UsageTable;

beforeAll(async () => {
  files = await tempFiles();
  table = await readUsageWorkbook(await files.workbook(task), { fileTimeZone: "Asia/Shanghai" });
});
afterAll(async () => {
  await files.remove();
});

async function csv(query: Parameters<typeof writeUsageCsv>[1]): Promise<string[]> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (chunk: Buffer) => chunks.push(chunk));
  await writeUsageCsv(table, query, out);
  out.end();
  return Buffer.concat(chunks).toString("utf8").split("\n");
}

const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

describe("usage CSV", () => {
  it("5-minute lines per domain: the file's own numbers", async () => {
    const lines = await csv({ interval: "FIVE_MINUTES", timeZone: "UTC" });
    expect(`${lines[0]}\n`).toBe(CSV_HEADER);
    const slots = expectedSlots(task);
    expect(lines.slice(1, -1)).toEqual(slots.map((slot) => `${iso(slot.time)},${slot.domain},${slot.trafficBytes},${slot.bandwidthBps},`));
    expect(lines.at(-1)).toBe("");
  });

  it("summed over domains, by day in Shanghai: the same numbers as usageSeries", async () => {
    const query = { interval: "DAY" as const, timeZone: "Asia/Shanghai" };
    const lines = await csv({ ...query, domains: "summed" });
    const series = usageSeries(table, query);
    expect(lines.slice(1, -1)).toEqual(
      Array.from(series.points.times, (time, i) => `${iso(time)},,${series.points.trafficBytes![i]},${series.points.bandwidthBps![i]},`),
    );
    expect(lines).toHaveLength(1 + 3 + 1);
  });

  it("one domain, hours, cut by from/to", async () => {
    const query = { interval: "HOUR" as const, timeZone: "UTC", domain: "C.example.com", from: Date.UTC(2025, 5, 1, 5), to: Date.UTC(2025, 5, 1, 8) };
    const lines = await csv(query);
    const series = usageSeries(table, query);
    expect(lines.slice(1, -1)).toEqual(
      Array.from(series.points.times, (time, i) => `${iso(time)},c.example.com,${series.points.trafficBytes![i]},${series.points.bandwidthBps![i]},`),
    );
    expect(lines).toHaveLength(1 + 3 + 1);
  });

  it("waits for a slow reader, and stops when it goes away", async () => {
    let received = 0;
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        writes += 1;
        setTimeout(callback, 1);
      },
    });
    await writeUsageCsv(table, { interval: "FIVE_MINUTES", timeZone: "UTC" }, slow);
    expect(writes).toBeGreaterThan(1);
    const whole = (await csv({ interval: "FIVE_MINUTES", timeZone: "UTC" })).join("\n");
    expect(received).toBe(Buffer.byteLength(whole));

    const gone = new Writable({
      highWaterMark: 1024,
      write(_chunk, _encoding, callback) {
        setTimeout(() => {
          gone.destroy();
          callback();
        }, 1);
      },
    });
    await writeUsageCsv(table, { interval: "FIVE_MINUTES", timeZone: "UTC" }, gone);
    expect(gone.destroyed).toBe(true);

    const controller = new AbortController();
    const stuck = new Writable({ highWaterMark: 1, write: () => controller.abort() });
    await writeUsageCsv(table, { interval: "FIVE_MINUTES", timeZone: "UTC" }, stuck, controller.signal);
    expect(controller.signal.aborted).toBe(true);
  });
});

describe("decimal", () => {
  it("writes every number as String does", () => {
    const values = [0, -0, 1, 7, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 999_999_999, 1_000_000_000, 1_000_000_001, 20_000_000_007, 2 ** 53 - 1, 2 ** 53, 2 ** 60, -1, -(2 ** 40), 0.5, 1.25e-7, 3.14, 1e21, 1e300, Number.MAX_VALUE, Number.MIN_VALUE];
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      values.push(Math.round((seed / 2 ** 31) * 10 ** (i % 17)), (seed / 2 ** 31) * 10 ** (i % 20));
    }
    for (const value of values) expect(decimal(value), String(value)).toBe(String(value));
  });
});
