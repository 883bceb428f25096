/**
 * One read of an export workbook in a process of its own, printing one JSON line:
 * `node --import tsx bench/workers/export-parse.ts <exceljs|gateway> <file>`.
 *
 * - `exceljs`: exceljs's streaming reader alone, iterating rows and doing nothing with them;
 * - `gateway`: the gateway's reader (readExportWorkbook) into the cached form.
 *
 * Both load their modules before the clock and the memory baseline start, so the figures are
 * the read's own: wall and CPU time, and the peak RSS the read adds (VmHWM after − VmRSS before).
 */
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import { readExportWorkbook } from "../../src/exports/workbook-reader.js";

type StreamingReader = AsyncIterable<AsyncIterable<unknown>>;

async function memory(): Promise<{ rss: number; hwm: number }> {
  const status = await readFile("/proc/self/status", "utf8");
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib("VmRSS"), hwm: kib("VmHWM") };
}

async function exceljsRows(path: string): Promise<number> {
  const { default: ExcelJS } = await import("exceljs");
  const input: Readable = createReadStream(path);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    sharedStrings: "cache",
    styles: "ignore",
    hyperlinks: "ignore",
    worksheets: "emit",
    entries: "ignore",
  }) as unknown as StreamingReader;
  let rows = 0;
  for await (const sheet of reader) {
    for await (const _row of sheet) rows += 1;
  }
  return rows;
}

async function main(): Promise<void> {
  const [mode, path] = process.argv.slice(2);
  if ((mode !== "exceljs" && mode !== "gateway") || path === undefined) throw new Error("usage: export-parse.ts <exceljs|gateway> <file>");
  await import("exceljs");
  const before = await memory();
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const figures: Record<string, number> = {};
  if (mode === "exceljs") figures["rows"] = await exceljsRows(path);
  else {
    const parsed = await readExportWorkbook(path, { fileTimeZone: "Asia/Shanghai", timeoutMs: 600_000 });
    // Every row of every sheet, header rows included, as exceljs counts them.
    figures["rows"] = parsed.sheets.reduce((sum, sheet) => sum + sheet.rowCount + 1, 0);
    figures["dataRows"] = parsed.usage.rowCount;
    figures["formBytes"] = parsed.byteSize;
    figures["usageBytes"] = parsed.usage.byteSize;
  }
  figures["ms"] = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  // CPU time is what a busy machine (other processes on the same cores) inflates least.
  figures["cpuMs"] = (cpu.user + cpu.system) / 1000;
  const after = await memory();
  process.stdout.write(`${JSON.stringify({ mode, ...figures, rssBefore: before.rss, peakRss: after.hwm })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
