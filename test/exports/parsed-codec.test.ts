/**
 * The parsed form as bytes (what replicas share through Redis): it decodes to the same usage and
 * the same sheets, from anywhere in a buffer, in about the bytes it holds in memory; bytes of
 * another kind are refused, never misread.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { decodeParsedExport, encodeParsedExport, ParsedCodecError } from "../../src/exports/parsed-codec.js";
import type { ParsedExport } from "../../src/exports/parsed-export.js";
import { rawRows } from "../../src/exports/raw-sheet.js";
import { usageSeries } from "../../src/exports/usage-series.js";
import { readExportWorkbook } from "../../src/exports/workbook-reader.js";
import { tempFiles, usageTask, type TempFiles } from "./workbook-files.js";

let files: TempFiles;
let flow: ParsedExport;
let vas: ParsedExport;
beforeAll(async () => {
  files = await tempFiles();
  flow = await readExportWorkbook(await files.workbook(usageTask(), { titleRows: true, time: "excel-serial", trafficUnit: "KB" }), { fileTimeZone: "Asia/Shanghai" });
  vas = await readExportWorkbook(await files.workbook(usageTask({ usageType: "vas", language: "en-us" })), { fileTimeZone: "Asia/Shanghai" });
});
afterAll(async () => {
  await files.remove();
});

function expectSame(decoded: ParsedExport, original: ParsedExport): void {
  expect(decoded.byteSize).toBe(original.byteSize);
  expect(decoded.usage.usageType).toBe(original.usage.usageType);
  expect(decoded.usage.domains).toEqual(original.usage.domains);
  expect(decoded.usage.rowCount).toBe(original.usage.rowCount);
  expect(Array.from(decoded.usage.times)).toEqual(Array.from(original.usage.times));
  for (const measure of ["traffic", "bandwidth", "requests"] as const) {
    expect(decoded.usage.values[measure]?.map((column) => Array.from(column)) ?? null).toEqual(original.usage.values[measure]?.map((column) => Array.from(column)) ?? null);
  }
  const query = { interval: "HOUR", timeZone: "Asia/Shanghai" } as const;
  expect(usageSeries(decoded.usage, query).summary).toEqual(usageSeries(original.usage, query).summary);
  expect(decoded.sheets.map((sheet) => [sheet.name, sheet.headers, sheet.rowCount])).toEqual(original.sheets.map((sheet) => [sheet.name, sheet.headers, sheet.rowCount]));
  for (const [i, sheet] of original.sheets.entries()) expect(rawRows(decoded.sheets[i]!, 0, sheet.rowCount)).toEqual(rawRows(sheet, 0, sheet.rowCount));
}

it("round-trips flow and vas exports, their sheets included", () => {
  for (const parsed of [flow, vas]) {
    const bytes = encodeParsedExport(parsed);
    expectSame(decodeParsedExport(bytes), parsed);
    // About the size it has in memory (texts are stored once, as JSON).
    expect(bytes.length).toBeLessThan(parsed.byteSize * 1.5);
  }
});

it("decodes from any offset of a larger buffer (typed views need alignment)", () => {
  const bytes = encodeParsedExport(flow);
  for (const offset of [1, 3, 8]) {
    const host = Buffer.alloc(bytes.length + offset + 5);
    bytes.copy(host, offset);
    expectSame(decodeParsedExport(host.subarray(offset, offset + bytes.length)), flow);
  }
});

it("refuses other bytes: another version, a cut value, a corrupted description", () => {
  const bytes = encodeParsedExport(flow);
  const other = Buffer.from(bytes);
  other.write("CXP2", 0, "latin1");
  expect(() => decodeParsedExport(other)).toThrow(ParsedCodecError);
  expect(() => decodeParsedExport(bytes.subarray(0, bytes.length - 100))).toThrow(ParsedCodecError);
  expect(() => decodeParsedExport(bytes.subarray(0, 6))).toThrow(ParsedCodecError);
  const corrupted = Buffer.from(bytes);
  corrupted.write("{{{{", 8, "latin1");
  expect(() => decodeParsedExport(corrupted)).toThrow(ParsedCodecError);
  expect(() => decodeParsedExport(Buffer.from("CXF1{}"))).toThrow(ParsedCodecError);
});
