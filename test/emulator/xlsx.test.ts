/** A usage-detail DownloadUrl serves a real .xlsx: read it back with exceljs. */
import { PassThrough } from "node:stream";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { DEFAULT_WORKBOOK_SHAPE } from "../../src/emulator/workbook-shape.js";
import { MAX_ROWS, writeExportWorkbook } from "../../src/emulator/xlsx.js";
import { manualClock } from "./clock.js";
import { callV3 } from "./signed-call.js";

const clock = manualClock(Date.UTC(2025, 5, 15, 12, 0, 0));
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ now: clock.now, historySize: 0, taskSeconds: 0 });
});
afterAll(async () => {
  await emulator.close();
});

async function downloadUrl(action: string, describe: string, params: Record<string, string>): Promise<string> {
  const created = await callV3(emulator, action, params, { time: clock.now() });
  expect(created.status).toBe(200);
  const listed = await callV3(emulator, describe, { PageSize: "1" }, { time: clock.now() });
  const item = (listed.body as { UsageDataPerPage: { Data: { DataItem: { TaskId: string; DownloadUrl?: string }[] } } }).UsageDataPerPage.Data.DataItem[0];
  expect(item?.TaskId).toBe(created.body.TaskId);
  return item!.DownloadUrl!;
}

async function readWorkbook(url: string): Promise<ExcelJS.Workbook> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(await response.arrayBuffer());
  return workbook;
}

function rows(sheet: ExcelJS.Worksheet): unknown[][] {
  const out: unknown[][] = [];
  sheet.eachRow((row) => out.push((row.values as unknown[]).slice(1)));
  return out;
}

describe("export files", () => {
  it("flow: 5-minute rows per domain with traffic bytes and bandwidth bps", async () => {
    const url = await downloadUrl("CreateUsageDetailDataExportTask", "DescribeUserUsageDetailDataExportTask", {
      Type: "flow",
      StartTime: "2025-06-01T00:00:00Z",
      EndTime: "2025-06-01T02:00:00Z",
      DomainNames: "a.example.com,b.example.com",
      Language: "en-us",
    });
    const workbook = await readWorkbook(url);
    const [header, ...data] = rows(workbook.worksheets[0]!);
    expect(header).toEqual(["Time", "Domain", "Traffic (Byte)", "Bandwidth (bps)"]);
    expect(data).toHaveLength(24 * 2);
    expect(data[0]?.slice(0, 2)).toEqual(["2025-06-01T00:00:00Z", "a.example.com"]);
    expect(data[1]?.slice(0, 2)).toEqual(["2025-06-01T00:00:00Z", "b.example.com"]);
    expect(data.at(-1)?.slice(0, 2)).toEqual(["2025-06-01T01:55:00Z", "b.example.com"]);
    for (const [, , traffic, bandwidth] of data) {
      expect(typeof traffic).toBe("number");
      expect(bandwidth).toBe(Math.round(((traffic as number) * 8) / 300));
    }
    expect(workbook.getWorksheet("About")).toBeDefined();
  });

  it("vas: request counts, Chinese headers by default", async () => {
    const url = await downloadUrl("CreateUsageDetailDataExportTask", "DescribeUserUsageDetailDataExportTask", {
      Type: "vas",
      StartTime: "2025-06-01T00:00:00Z",
      EndTime: "2025-06-01T01:00:00Z",
      DomainNames: "a.example.com",
    });
    const [header, ...data] = rows((await readWorkbook(url)).worksheets[0]!);
    expect(header).toEqual(["时间", "域名", "请求数"]);
    expect(data).toHaveLength(12);
    for (const row of data) expect(row[2]).toBeGreaterThan(0);
  });

  it("answers an unknown download with 404", async () => {
    const response = await fetch(`${emulator.url}/downloads/${"0".repeat(32)}.xlsx`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { Code: string }).Code).toBe("NoSuchKey");
  });

  it("holds a 31-day export over 100 domains in one sheet, within Excel's row limit", () => {
    expect(MAX_ROWS).toBeGreaterThanOrEqual(31 * 288 * 100);
    expect(MAX_ROWS).toBeLessThan(1_048_576);
  });

  it("caps long ranges over many domains", async () => {
    // The cap of a shape; the default (MAX_ROWS) fits the longest task, so a small one stands in.
    const CAP = 10_000;
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (chunk: Buffer) => chunks.push(chunk));
    await writeExportWorkbook({
      kind: "USAGE_DETAIL",
      taskId: "1",
      name: undefined,
      createdAt: 0,
      readyAt: 0,
      outcome: "success",
      startTime: "2025-05-01T00:00:00Z",
      endTime: "2025-06-01T00:00:00Z",
      usageType: "flow",
      domains: ["a.example.com", "b.example.com", "c.example.com"],
      language: "en-us",
      downloadToken: "x",
    }, out, { ...DEFAULT_WORKBOOK_SHAPE, maxRows: CAP });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(new Uint8Array(Buffer.concat(chunks)).buffer);
    expect(workbook.worksheets[0]!.rowCount).toBe(CAP + 1);
    expect(rows(workbook.getWorksheet("About")!)).toContainEqual(["Truncated", `yes: the first ${CAP} rows`]);
  });
});
