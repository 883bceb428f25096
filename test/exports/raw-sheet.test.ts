/**
 * The sheets of an export as they are (`ExportTask.sheets`): read in the same pass as the usage,
 * from files the emulator writes, and compared with the cells the emulator put there, computed
 * here from its synthetic series; kept in a few bytes a row.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatedTask } from "../../src/emulator/task.js";
import { BANDWIDTH_UNIT_BPS, DEFAULT_WORKBOOK_SHAPE, headerText, sheetNames, timeCell, TRAFFIC_UNIT_BYTES, type WorkbookShape } from "../../src/emulator/workbook-shape.js";
import { rawRows } from "../../src/exports/raw-sheet.js";
import { readExportWorkbook } from "../../src/exports/workbook-reader.js";
import { expectedSlots, tempFiles, usageTask, type TempFiles } from "./workbook-files.js";

let files: TempFiles;
beforeAll(async () => {
  files = await tempFiles();
});
afterAll(async () => {
  await files.remove();
});

const SHANGHAI = { fileTimeZone: "Asia/Shanghai" };

/** The data rows the emulator writes for `task` in `shape`, as text. */
function expectedRows(task: EmulatedTask, shape: WorkbookShape): string[][] {
  return expectedSlots(task).map((slot) => {
    const time = timeCell(slot.time, shape);
    const cells = [String(time), slot.domain];
    if (task.usageType === "vas") cells.push(String(slot.requests));
    else cells.push(String(slot.trafficBytes / TRAFFIC_UNIT_BYTES[shape.trafficUnit]), String(slot.bandwidthBps / BANDWIDTH_UNIT_BPS[shape.bandwidthUnit]));
    return cells;
  });
}

describe("the sheets as they are", () => {
  const cases: [string, Partial<EmulatedTask>, Partial<WorkbookShape>][] = [
    ["plain: Chinese headers, UTC time text, inline strings", {}, {}],
    ["a title above the header row, Excel serials, GB, shared strings", {}, { titleRows: true, time: "excel-serial", trafficUnit: "GB", sharedStrings: true }],
    ["English, vas, zone-less text, the document writer", { language: "en-us", usageType: "vas" }, { time: "zoned-text", writer: "document" }],
  ];
  it.each(cases)("%s", async (_name, fields, shapeFields) => {
    const task = usageTask(fields);
    const shape = { ...DEFAULT_WORKBOOK_SHAPE, ...shapeFields };
    const parsed = await readExportWorkbook(await files.workbook(task, shape), SHANGHAI);
    const names = sheetNames(task.language);
    expect(parsed.sheets.map((sheet) => sheet.name)).toEqual([names.data, names.about]);

    const [data, about] = parsed.sheets;
    const columns = task.usageType === "vas" ? (["time", "domain", "requests"] as const) : (["time", "domain", "traffic", "bandwidth"] as const);
    // The title rows above the header row are not part of the table.
    expect(data?.headers).toEqual(columns.map((column) => headerText(column, task.language, shape)));
    const rows = expectedRows(task, shape);
    expect(data?.rowCount).toBe(rows.length);
    expect(rawRows(data!, 0, data!.rowCount)).toEqual(rows);
    expect(rawRows(data!, 100, 103)).toEqual(rows.slice(100, 103));

    // No header row the reader knows: the first row is the headers.
    expect(about?.headers).toEqual(["TaskId", task.taskId]);
    expect(rawRows(about!, 0, 2)).toEqual([
      ["StartTime", task.startTime],
      ["EndTime", task.endTime],
    ]);
    expect(rawRows(about!, 4, 5)).toEqual([["Rows", String(rows.length)]]);
    expect(parsed.byteSize).toBe(parsed.usage.byteSize + data!.byteSize + about!.byteSize);
  });

  it("keeps a usage sheet in a few bytes a row: texts as codes, whole numbers in 32 bits", async () => {
    const domains = Array.from({ length: 20 }, (_, i) => `d${i}.example.com`);
    const task = usageTask({ domains, endTime: "2025-06-03T00:00:00Z" });
    const parsed = await readExportWorkbook(await files.workbook(task), SHANGHAI);
    const data = parsed.sheets[0]!;
    expect(data.rowCount).toBe(2 * 288 * 20);
    const [time, domain, traffic, bandwidth] = data.columns;
    expect(time?.codes).toBeInstanceOf(Uint16Array);
    expect(time?.texts.length).toBe(2 * 288);
    expect(domain?.codes).toBeInstanceOf(Uint8Array);
    expect(domain?.texts).toEqual(domains);
    // Every traffic and bandwidth cell is a number: one code for all rows.
    expect(traffic?.codes).toBe(1);
    expect(traffic?.numbers).toBeInstanceOf(Float64Array); // bytes pass 2³²
    expect(bandwidth?.numbers).toBeInstanceOf(Uint32Array);
    expect(data.byteSize / data.rowCount).toBeLessThan(20);
  });

  it("ragged rows, empty cells, booleans, dates and formulas, totals and blank rows", async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Mixed");
    sheet.addRows([
      ["Report"],
      ["时间", "域名", "流量(Byte)"],
      ["2025-06-01 08:00:00", "a.example.com", 5, "note", true],
      ["2025-06-01 08:05:00", "a.example.com", { formula: "1+1", result: 2 }],
      [],
      ["合计", "", 7],
      [new Date(Date.UTC(2025, 5, 1, 0, 10)), "b.example.com", -1.5],
    ]);
    const path = join(files.dir, "mixed.xlsx");
    await writeFile(path, Buffer.from(await workbook.xlsx.writeBuffer()));
    const parsed = await readExportWorkbook(path, SHANGHAI);
    const raw = parsed.sheets[0]!;
    expect(raw.headers).toEqual(["时间", "域名", "流量(Byte)", "", ""]);
    const rows = rawRows(raw, 0, raw.rowCount);
    expect(rows[0]).toEqual(["2025-06-01 08:00:00", "a.example.com", "5", "note", "true"]);
    expect(rows[1]).toEqual(["2025-06-01 08:05:00", "a.example.com", "2", null, null]);
    expect(rows).toContainEqual(["合计", null, "7", null, null]);
    // Styles are not read: a date cell is what the file stores, its Excel serial.
    const serial = (Date.UTC(2025, 5, 1, 0, 10) - Date.UTC(1899, 11, 30)) / 86_400_000;
    expect(rows.at(-1)).toEqual([String(serial), "b.example.com", "-1.5", null, null]);
    expect(parsed.usage.rowCount).toBe(3);
  });

  it("a sheet with no rows at all", async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet("Data").addRows([["Time", "Domain", "Requests"], ["2025-06-01T00:00:00Z", "a.example.com", 3]]);
    workbook.addWorksheet("Empty");
    const path = join(files.dir, "empty-sheet.xlsx");
    await writeFile(path, Buffer.from(await workbook.xlsx.writeBuffer()));
    const parsed = await readExportWorkbook(path, SHANGHAI);
    expect(parsed.sheets.map((sheet) => [sheet.name, sheet.headers, sheet.rowCount])).toEqual([
      ["Data", ["Time", "Domain", "Requests"], 1],
      ["Empty", [], 0],
    ]);
  });
});
