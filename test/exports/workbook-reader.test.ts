/**
 * readUsageWorkbook over files the emulator writes in every shape it claims (languages, units,
 * title rows, time styles, shared strings, both zip orders), checked against the synthetic
 * series itself; and every file it cannot read is a typed error, never a crash or a hang.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatedTask } from "../../src/emulator/task.js";
import type { WorkbookShape } from "../../src/emulator/workbook-shape.js";
import { ExportFormatUnrecognizedError, ExportTooLargeError } from "../../src/exports/errors.js";
import type { Measure } from "../../src/exports/header-table.js";
import type { UsageTable } from "../../src/exports/usage-table.js";
import { MAX_SHEETS, readExportWorkbook, readUsageWorkbook } from "../../src/exports/workbook-reader.js";
import { expectedSlots, tempFiles, usageTask, withDamagedEntry, type Slot, type TempFiles } from "./workbook-files.js";

let files: TempFiles;
beforeAll(async () => {
  files = await tempFiles();
});
afterAll(async () => {
  await files.remove();
});

const SHANGHAI = { fileTimeZone: "Asia/Shanghai" };

function valueAt(table: UsageTable, measure: Measure, domain: string, time: number): number | undefined {
  const d = table.domains.indexOf(domain);
  const t = table.times.indexOf(time);
  return d < 0 || t < 0 ? undefined : table.values[measure]?.[d]?.[t];
}

/** The table holds exactly the task's slots: same domains, times and values (to float precision for scaled units). */
function expectTableOf(table: UsageTable, task: EmulatedTask, measures: Measure[]): void {
  const slots = expectedSlots(task);
  expect(table.rowCount).toBe(slots.length);
  expect(table.domains).toEqual(task.domains.map((domain) => domain.toLowerCase()).sort());
  expect(Array.from(table.times)).toEqual([...new Set(slots.map((slot) => slot.time))]);
  const field: Record<Measure, keyof Slot> = { traffic: "trafficBytes", bandwidth: "bandwidthBps", requests: "requests" };
  for (const measure of ["traffic", "bandwidth", "requests"] as const) {
    if (!measures.includes(measure)) {
      expect(table.values[measure]).toBeNull();
      continue;
    }
    for (const slot of slots) {
      const value = valueAt(table, measure, slot.domain.toLowerCase(), slot.time);
      const expected = slot[field[measure]] as number;
      expect(Math.abs((value ?? Number.NaN) - expected)).toBeLessThanOrEqual(Math.max(1e-6, expected * 1e-12));
    }
  }
}

describe("readUsageWorkbook: the shapes the emulator writes", () => {
  const cases: [string, Partial<EmulatedTask>, Partial<WorkbookShape>][] = [
    ["the plain shape: Chinese headers, UTC times, bytes and bps", {}, {}],
    ["a title row, zone-less China times, KB and Mbps, shared strings", {}, { titleRows: true, time: "zoned-text", trafficUnit: "KB", bandwidthUnit: "Mbps", sharedStrings: true }],
    ["English headers, New York offsets, GB and Gbps", { language: "en-us" }, { time: "offset-iso", timeZone: "America/New_York", trafficUnit: "GB", bandwidthUnit: "Gbps" }],
    ["Excel date serials, the document writer's zip order", { language: "en-us" }, { time: "excel-serial", writer: "document", sharedStrings: true, titleRows: true }],
    ["TB, Kbps, zone-less text, inline strings", {}, { time: "zoned-text", trafficUnit: "TB", bandwidthUnit: "Kbps" }],
  ];
  it.each(cases)("%s", async (_name, fields, shape) => {
    const task = usageTask(fields);
    const table = await readUsageWorkbook(await files.workbook(task, shape), SHANGHAI);
    expect(table.usageType).toBe("FLOW");
    expectTableOf(table, task, ["traffic", "bandwidth"]);
  });

  it("vas files hold requests only", async () => {
    const task = usageTask({ usageType: "vas", language: "en-us", domains: ["Img.Example.com", "a.example.com"] });
    const table = await readUsageWorkbook(await files.workbook(task, { titleRows: true }), SHANGHAI);
    expect(table.usageType).toBe("VAS");
    // Host names compare case-insensitively: kept in lower case.
    expectTableOf(table, task, ["requests"]);
  });

  it("reads zone-less times on the file's clock: the setting decides the instant", async () => {
    const task = usageTask({ endTime: "2025-06-01T01:00:00Z" });
    const path = await files.workbook(task, { time: "zoned-text", timeZone: "America/New_York" });
    const right = await readUsageWorkbook(path, { fileTimeZone: "America/New_York" });
    expect(right.times[0]).toBe(Date.UTC(2025, 5, 1));
    const wrong = await readUsageWorkbook(path, SHANGHAI);
    expect(right.times[0]! - wrong.times[0]!).toBe(12 * 3_600_000);
  });

  it("merges data sheets, skips sheets without a header row and totals rows", async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet("Notes").addRows([["Exported from the console"], ["Time zone: UTC+8"]]);
    const first = workbook.addWorksheet("Part 1");
    first.addRows([["CDN用量"], [], ["时间", "域名", "流量（MB）", "带宽 (Mbps)"], ["2025-06-01 08:00:00", "a.example.com", 1, 2], ["合计", "", 1, 2]]);
    const second = workbook.addWorksheet("Part 2");
    second.addRows([["Domain", "Time", "Requests"], ["b.example.com", "2025-06-01T00:05:00Z", 7]]);
    const path = join(files.dir, "merged.xlsx");
    await writeFile(path, Buffer.from(await workbook.xlsx.writeBuffer()));
    const table = await readUsageWorkbook(path, SHANGHAI);
    expect(table.domains).toEqual(["a.example.com", "b.example.com"]);
    expect(Array.from(table.times)).toEqual([Date.UTC(2025, 5, 1), Date.UTC(2025, 5, 1, 0, 5)]);
    expect(valueAt(table, "traffic", "a.example.com", Date.UTC(2025, 5, 1))).toBe(1024 ** 2);
    expect(valueAt(table, "bandwidth", "a.example.com", Date.UTC(2025, 5, 1))).toBe(2e6);
    expect(valueAt(table, "requests", "b.example.com", Date.UTC(2025, 5, 1, 0, 5))).toBe(7);
    expect(valueAt(table, "requests", "a.example.com", Date.UTC(2025, 5, 1))).toBeNaN();
    expect(table.rowCount).toBe(2);
  });
});

describe("readUsageWorkbook: files it cannot read", () => {
  async function refusal(path: string, options = {}): Promise<ExportFormatUnrecognizedError> {
    const error: unknown = await readUsageWorkbook(path, { ...SHANGHAI, ...options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportFormatUnrecognizedError);
    expect((error as ExportFormatUnrecognizedError).code).toBe("EXPORT_FORMAT_UNRECOGNIZED");
    return error as ExportFormatUnrecognizedError;
  }

  async function workbookOf(name: string, rows: unknown[][]): Promise<string> {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet("Sheet1").addRows(rows);
    const path = join(files.dir, name);
    await writeFile(path, Buffer.from(await workbook.xlsx.writeBuffer()));
    return path;
  }

  it("a file that is no zip", async () => {
    const path = join(files.dir, "not-a-zip.xlsx");
    await writeFile(path, "<html>Access denied</html>");
    expect((await refusal(path)).headers).toEqual([]);
  });

  it("no header row it knows: the error lists the headers found", async () => {
    const path = await workbookOf("german.xlsx", [["Bericht"], ["Zeit", "Domäne", "Verkehr (Byte)"], ["2025-06-01 08:00:00", "a.example.com", 1]]);
    const error = await refusal(path);
    expect(error.headers).toEqual(["Zeit", "Domäne", "Verkehr (Byte)"]);
    expect(error.message).toContain("Zeit | Domäne | Verkehr (Byte)");
  });

  it("a unit it does not know", async () => {
    const error = await refusal(await workbookOf("furlongs.xlsx", [["Time", "Domain", "Traffic (furlongs)"]]));
    expect(error.headers).toEqual(["Time", "Domain", "Traffic (furlongs)"]);
    expect(error.message).toContain('unknown traffic unit "furlongs"');
  });

  it("a data row whose time is no time, or whose traffic is no number", async () => {
    expect((await refusal(await workbookOf("bad-time.xlsx", [["Time", "Domain", "Requests"], ["yesterday", "a.example.com", 1]]))).message).toMatch(/row 2: time "yesterday"/);
    expect((await refusal(await workbookOf("bad-number.xlsx", [["Time", "Domain", "Requests"], ["2025-06-01T00:00:00Z", "a.example.com", "many"]]))).message).toMatch(/row 2: requests is not a number/);
  });

  it(`more than ${MAX_SHEETS} sheets is refused before reading (exceljs#2790)`, async () => {
    const workbook = new ExcelJS.Workbook();
    for (let i = 0; i <= MAX_SHEETS; i++) workbook.addWorksheet(`S${i}`).addRow(["x"]);
    const path = join(files.dir, "many.xlsx");
    await writeFile(path, Buffer.from(await workbook.xlsx.writeBuffer()));
    expect((await refusal(path)).message).toContain(`${MAX_SHEETS + 1} sheets`);
  });

  it("a sheet the workbook lists but the file lacks", async () => {
    const task = usageTask({ endTime: "2025-06-01T01:00:00Z" });
    const zip = await JSZip.loadAsync(await readFile(await files.workbook(task, { writer: "document" })));
    zip.remove("xl/worksheets/sheet2.xml");
    const path = join(files.dir, "lost-sheet.xlsx");
    await writeFile(path, await zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" }));
    expect((await refusal(path)).message).toContain('sheet "说明" is listed but not in the file');
  });

  it("damaged compressed sheet data fails promptly with the typed error, not at the deadline", async () => {
    const file = withDamagedEntry(await readFile(await files.workbook(usageTask({ endTime: "2025-06-03T00:00:00Z" }))), "xl/worksheets/sheet1.xml");
    const path = join(files.dir, "damaged-deflate.xlsx");
    await writeFile(path, file);
    const error = await refusal(path, { timeoutMs: 60_000 });
    expect(error.message).not.toContain("took longer");
    expect(error.message).toContain("the workbook could not be read (xl/worksheets/sheet1.xml: ");
  }, 90_000);

  it("sheet bytes that differ from the directory's CRC-32 (stored, so nothing fails to inflate)", async () => {
    const zip = await JSZip.loadAsync(await readFile(await workbookOf("stored.xlsx", [["Time", "Domain", "Requests"], ["2025-06-01T00:00:00Z", "a.example.com", 1234]])));
    const file = await zip.generateAsync({ type: "nodebuffer", compression: "STORE" });
    const at = file.indexOf("<v>1234</v>");
    expect(at).toBeGreaterThan(0);
    file.write("9", at + 3, "latin1");
    const path = join(files.dir, "crc.xlsx");
    await writeFile(path, file);
    expect((await refusal(path)).message).toContain("xl/worksheets/sheet1.xml: CRC-32 differs");
  });

  it("a sheet whose local header names another entry is read from where the directory says (exceljs#3064 lost such sheets)", async () => {
    const task = usageTask({ endTime: "2025-06-01T01:00:00Z" });
    const file = await readFile(await files.workbook(task, { writer: "document" }));
    // The local header (what a streaming pass over the file sees) names another entry; the directory does not.
    const at = file.indexOf("xl/worksheets/sheet2.xml");
    expect(at).toBeLessThan(file.lastIndexOf("xl/worksheets/sheet2.xml"));
    file.write("xl/worksheets/sheetX.xml", at, "latin1");
    const path = join(files.dir, "unseen-sheet.xlsx");
    await writeFile(path, file);
    const parsed = await readExportWorkbook(path, SHANGHAI);
    expect(parsed.sheets.map((sheet) => sheet.name)).toHaveLength(2);
    expectTableOf(parsed.usage, task, ["traffic", "bandwidth"]);
  });

  it("broken sheet XML", async () => {
    const task = usageTask({ endTime: "2025-06-01T01:00:00Z" });
    const zip = await JSZip.loadAsync(await readFile(await files.workbook(task, { writer: "document" })));
    zip.file("xl/worksheets/sheet1.xml", '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Time</t></is></c></row><row r="2"><c r="A1"</sheetData>');
    const path = join(files.dir, "broken.xlsx");
    await writeFile(path, await zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" }));
    expect((await refusal(path)).message).toContain("the workbook could not be read");
  });

  it("a read past its deadline is abandoned", async () => {
    const path = await files.workbook(usageTask({ endTime: "2025-06-08T00:00:00Z" }));
    expect((await refusal(path, { timeoutMs: 5 })).message).toContain("reading took longer than 5 ms");
  });

  it("the caller's abort ends the read with the caller's reason", async () => {
    const path = await files.workbook(usageTask({ endTime: "2025-06-03T00:00:00Z" }));
    const controller = new AbortController();
    const read = readUsageWorkbook(path, { ...SHANGHAI, signal: controller.signal });
    controller.abort(new Error("client went away"));
    await expect(read).rejects.toThrow("client went away");
  });

  it("sheets whose XML would unpack past the limit (zip bombs)", async () => {
    const path = await files.workbook(usageTask());
    await expect(readUsageWorkbook(path, { ...SHANGHAI, maxUncompressedBytes: 1000 })).rejects.toBeInstanceOf(ExportTooLargeError);
  });
});
