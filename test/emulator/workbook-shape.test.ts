/**
 * Every workbook shape the emulator writes reads back (exceljs, whole workbook) with the layout
 * it claims: language, units in the headers, a title above the header, the time style, and the
 * zip entry order of each exceljs writer.
 */
import { PassThrough } from "node:stream";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { EmulatedTask } from "../../src/emulator/task.js";
import { hashName, usageAt } from "../../src/emulator/usage-series.js";
import { DEFAULT_WORKBOOK_SHAPE, type WorkbookShape } from "../../src/emulator/workbook-shape.js";
import { writeExportWorkbook } from "../../src/emulator/xlsx.js";
import { manualClock } from "./clock.js";
import { callV3 } from "./signed-call.js";

const START = Date.UTC(2025, 5, 1);

function task(fields: Partial<EmulatedTask>): EmulatedTask {
  return {
    kind: "USAGE_DETAIL",
    taskId: "42",
    name: undefined,
    createdAt: 0,
    readyAt: 0,
    outcome: "success",
    startTime: "2025-06-01T00:00:00Z",
    endTime: "2025-06-01T01:00:00Z",
    usageType: "flow",
    domains: ["a.example.com", "b.example.com"],
    language: "zh-cn",
    downloadToken: "x",
    ...fields,
  };
}

async function written(t: EmulatedTask, shape: Partial<WorkbookShape>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (chunk: Buffer) => chunks.push(chunk));
  await writeExportWorkbook(t, out, { ...DEFAULT_WORKBOOK_SHAPE, ...shape });
  return Buffer.concat(chunks);
}

async function sheetRows(file: Buffer): Promise<unknown[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(new Uint8Array(file).buffer);
  const out: unknown[][] = [];
  workbook.worksheets[0]!.eachRow((row) => out.push((row.values as unknown[]).slice(1)));
  return out;
}

/** Local file headers come first in a zip: the first occurrence of a name is its entry's place. */
function entryOrder(file: Buffer, names: string[]): string[] {
  return names.filter((name) => file.includes(name)).sort((a, b) => file.indexOf(a) - file.indexOf(b));
}

describe("workbook shapes", () => {
  it("Chinese headers with units, a title row, zone-less China times, KB and Mbps", async () => {
    const rows = await sheetRows(await written(task({}), { titleRows: true, time: "zoned-text", trafficUnit: "KB", bandwidthUnit: "Mbps" }));
    expect(String(rows[0]![0])).toMatch(/^CDN用量明细 \(flow\) 2025-06-01T00:00:00Z – 2025-06-01T01:00:00Z$/);
    const header = rows.findIndex((row) => row[0] === "时间");
    expect(header).toBeGreaterThan(0);
    expect(rows[header]).toEqual(["时间", "域名", "流量(KB)", "带宽(Mbps)"]);
    const data = rows.slice(header + 1);
    expect(data).toHaveLength(24);
    expect(data[0]!.slice(0, 2)).toEqual(["2025-06-01 08:00:00", "a.example.com"]);
    expect(data[23]!.slice(0, 2)).toEqual(["2025-06-01 08:55:00", "b.example.com"]);
    const usage = usageAt(hashName("42/b.example.com"), START + 55 * 60_000);
    expect((data[23]![2] as number) * 1024).toBeCloseTo(usage.trafficBytes, 3);
    expect((data[23]![3] as number) * 1e6).toBeCloseTo(usage.bandwidthBps, 3);
  });

  it("English request counts with zoned ISO times", async () => {
    const rows = await sheetRows(await written(task({ usageType: "vas", language: "en-us" }), { time: "offset-iso", timeZone: "America/New_York" }));
    expect(rows[0]).toEqual(["Time", "Domain", "Requests"]);
    expect(rows[1]).toEqual(["2025-05-31T20:00:00-04:00", "a.example.com", usageAt(hashName("42/a.example.com"), START).requests]);
  });

  it("Excel date serials on the wall clock of the file's zone, GB and Gbps", async () => {
    const rows = await sheetRows(await written(task({ language: "en-us" }), { time: "excel-serial", trafficUnit: "GB", bandwidthUnit: "Gbps" }));
    expect(rows[0]).toEqual(["Time", "Domain", "Traffic (GB)", "Bandwidth (Gbps)"]);
    const serial = rows[1]![0] as number;
    // 2025-06-01 08:00 in Shanghai: 45809 days after 1899-12-30, and a third of a day.
    expect(serial).toBeCloseTo(45809 + 8 / 24, 9);
  });

  it("the streaming writer puts the sheets first and workbook.xml last; with shared strings, those after the sheets", async () => {
    const file = await written(task({}), { sharedStrings: true });
    expect(entryOrder(file, ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml"])).toEqual([
      "xl/worksheets/sheet1.xml",
      "xl/sharedStrings.xml",
      "xl/workbook.xml",
    ]);
    expect((await sheetRows(file))[1]![1]).toBe("a.example.com");
  });

  it("the document writer puts the relations before the sheets, and workbook.xml last", async () => {
    const file = await written(task({ language: "en-us" }), { writer: "document", sharedStrings: true, titleRows: true });
    expect(entryOrder(file, ["xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml"])).toEqual([
      "xl/_rels/workbook.xml.rels",
      "xl/worksheets/sheet1.xml",
      "xl/sharedStrings.xml",
      "xl/workbook.xml",
    ]);
    const rows = await sheetRows(file);
    expect(rows[1]).toEqual(["Time", "Domain", "Traffic (Byte)", "Bandwidth (bps)"]);
    expect(rows).toHaveLength(2 + 24);
  });

  it("an emulator serves the shape it was started with", async () => {
    const clock = manualClock();
    const emulator = await startEmulator({ now: clock.now, historySize: 0, taskSeconds: 0, workbookShape: { titleRows: true, time: "zoned-text" } });
    try {
      const params = { Type: "flow", StartTime: "2025-06-01T00:00:00Z", EndTime: "2025-06-01T00:10:00Z", DomainNames: "a.example.com" };
      expect((await callV3(emulator, "CreateUsageDetailDataExportTask", params, { time: clock.now() })).status).toBe(200);
      const listed = await callV3(emulator, "DescribeUserUsageDetailDataExportTask", { PageSize: "1" }, { time: clock.now() });
      const url = (listed.body as { UsageDataPerPage: { Data: { DataItem: { DownloadUrl: string }[] } } }).UsageDataPerPage.Data.DataItem[0]!.DownloadUrl;
      expect(url).toMatch(/\.xlsx$/);
      const rows = await sheetRows(Buffer.from(await (await fetch(url)).arrayBuffer()));
      expect(rows.slice(1)).toEqual([
        ["时间", "域名", "流量(Byte)", "带宽(bps)"],
        expect.arrayContaining(["2025-06-01 08:00:00", "a.example.com"]),
        expect.arrayContaining(["2025-06-01 08:05:00", "a.example.com"]),
      ]);
    } finally {
      await emulator.close();
    }
  });
});
