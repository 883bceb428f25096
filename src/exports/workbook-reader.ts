/**
 * Reads a usage-detail workbook from a file on disk into its columnar form (usage-table.ts),
 * row by row with exceljs's streaming worksheet reader (shared strings cached, styles ignored):
 * the workbook is never held whole in memory. Header rows are found by their text in every
 * sheet (header-table.ts), whatever sits above them; sheets without one (the About sheet) are
 * passed over.
 *
 * The zip is read through its central directory (workbook-zip.ts), not by exceljs's single
 * streaming pass over the file: there a damaged entry hung the read until its deadline, and
 * the last entries were sometimes lost (exceljs#3064, which also made `this.model.sheets` throw
 * "Cannot read properties of undefined (reading 'sheets')"). The workbook model, its relations
 * and the shared strings are read first and given to exceljs's reader, then every sheet the
 * directory holds, in its order, each checked against the directory's size and CRC-32.
 * exceljs#2790 (past 100 sheets its reader stalls): no usage export has that many, refused
 * before reading. A deadline covers any other stall.
 */
import type { Readable } from "node:stream";
import { cellNumber, cellText, TimeCellReader } from "./cell-values.js";
import { ExportError, ExportFormatUnrecognizedError, ExportTooLargeError } from "./errors.js";
import { HEADER_SCAN_ROWS, isSummaryLabel, matchHeaderRow, type HeaderLayout, type Measure } from "./header-table.js";
import { parsedExport, type ParsedExport } from "./parsed-export.js";
import { FIRST_TEXT } from "./raw-column.js";
import { RawSheetBuilder, type RawSheet } from "./raw-sheet.js";
import { UsageTableBuilder, type DomainRows, type UsageTable } from "./usage-table.js";
import { WorkbookZip, type ZipEntry } from "./workbook-zip.js";

/** exceljs#2790: its streaming reader stalls past 100 sheets. */
export const MAX_SHEETS = 100;
const WORKSHEET_PATH = /^xl\/worksheets\/sheet(\d+)\.xml$/;

export interface ReadWorkbookOptions {
  /** The wall clock of zone-less times and Excel serials (EXPORT_FILE_TIME_ZONE). */
  fileTimeZone: string;
  /** Longest one read may take; past it the read is abandoned (default 120 s). */
  timeoutMs?: number;
  /** Largest total of the sheets' uncompressed XML (zip bombs); default 4 GiB. */
  maxUncompressedBytes?: number;
  signal?: AbortSignal;
}

/** What exceljs 4.4's streaming reader has, beyond its published types. */
interface StreamingWorkbook {
  model?: { sheets?: { name?: string; rId?: string }[] };
  workbookRels?: { Id?: string; Target?: string; Type?: string }[];
  properties?: { date1904?: boolean };
  sharedStrings?: unknown[];
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncIterable<unknown>;
  /** A reader of one sheet's XML (with worksheets: 'emit', yielded once), named from the model. */
  _parseWorksheet(content: AsyncIterable<Buffer>, sheetNo: string): Iterable<{ eventType: string; value: StreamingSheet }>;
}
interface StreamingSheet {
  name: string;
  parse(): AsyncIterable<{ eventType: string; value: unknown }[]>;
}
interface StreamingRow {
  number: number;
  values: unknown;
  getCell(column: number): { value: unknown };
}

/** Reads `path`'s usage; throws ExportFormatUnrecognizedError for anything it cannot read as usage details. */
export async function readUsageWorkbook(path: string, options: ReadWorkbookOptions): Promise<UsageTable> {
  return (await readExportWorkbook(path, options)).usage;
}

/** Reads `path` into its usage and its sheets as they are, in one pass. */
export async function readExportWorkbook(path: string, options: ReadWorkbookOptions): Promise<ParsedExport> {
  const zip = await openZip(path);
  try {
    const sheetEntries = zip.entries.filter((entry) => WORKSHEET_PATH.test(entry.path));
    if (sheetEntries.length > MAX_SHEETS) throw new ExportFormatUnrecognizedError([], `${sheetEntries.length} sheets (at most ${MAX_SHEETS} are read)`);
    const uncompressed = sheetEntries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
    const maxUncompressed = options.maxUncompressedBytes ?? 4 * 1024 ** 3;
    if (uncompressed > maxUncompressed) throw new ExportTooLargeError(maxUncompressed);
    return await withDeadline(zip, options, (signal) => readSheets(zip, sheetEntries, signal, options));
  } finally {
    zip.close();
  }
}

async function openZip(path: string): Promise<WorkbookZip> {
  try {
    return await WorkbookZip.open(path);
  } catch (error) {
    throw new ExportFormatUnrecognizedError([], "not an xlsx workbook (no zip directory)", { cause: error });
  }
}

async function readSheets(zip: WorkbookZip, sheetEntries: readonly ZipEntry[], signal: AbortSignal, options: ReadWorkbookOptions): Promise<ParsedExport> {
  const { default: ExcelJS } = await import("exceljs");
  // Only its parts are used (never its own pass over the file, which would read `path`).
  const reader = new ExcelJS.stream.xlsx.WorkbookReader("", {
    sharedStrings: "cache",
    styles: "ignore",
    hyperlinks: "ignore",
    worksheets: "emit",
    entries: "ignore",
  }) as unknown as StreamingWorkbook;
  await primeModel(reader, zip);
  const times = new TimeCellReader(options.fileTimeZone, reader.properties?.date1904 === true);
  const builder = new UsageTableBuilder({ traffic: false, bandwidth: false, requests: false });
  let candidate: string[] = [];
  let dataSheets = 0;
  const sheets: RawSheet[] = [];

  try {
    for (const entry of sheetEntries) {
      const sheetNo = WORKSHEET_PATH.exec(entry.path)?.[1] ?? "";
      for (const { value: sheet } of reader._parseWorksheet(zip.content(entry), sheetNo)) {
        const raw = new RawSheetBuilder(sheet.name);
        const state = new SheetState(sheet.name, times, builder, raw);
        for await (const events of sheet.parse()) {
          for (const event of events) if (event.eventType === "row") state.row(event.value as StreamingRow);
        }
        sheets.push(raw.finish());
        if (state.layout !== null) dataSheets += 1;
        else if (candidate.length === 0 || state.candidate.length > candidate.length) candidate = state.candidate;
      }
    }
  } catch (error) {
    // Past the deadline or abandoned by the caller, the race below has answered already.
    if (error instanceof ExportError || signal.aborted) throw error;
    // Broken XML, a zip entry that does not inflate or not to what the directory says: the
    // file, not the gateway, is at fault.
    throw new ExportFormatUnrecognizedError(candidate, `the workbook could not be read (${error instanceof Error ? error.message.slice(0, 160) : "unknown error"})`, { cause: error });
  }
  if (dataSheets === 0) throw new ExportFormatUnrecognizedError(candidate, "no sheet has a header row with a time, a domain and a traffic, bandwidth or requests column");
  return parsedExport(builder.finish(), sheets);
}

/** Reads workbook.xml, its relations and the shared strings from the directory into the reader. */
async function primeModel(reader: StreamingWorkbook, zip: WorkbookZip): Promise<void> {
  const workbook = zip.entry("xl/workbook.xml");
  const rels = zip.entry("xl/_rels/workbook.xml.rels");
  if (workbook === undefined || rels === undefined) throw new ExportFormatUnrecognizedError([], "not an xlsx workbook (no xl/workbook.xml)");
  try {
    await reader._parseRels(zip.stream(rels));
    await reader._parseWorkbook(zip.stream(workbook));
  } catch (error) {
    throw new ExportFormatUnrecognizedError([], "xl/workbook.xml could not be read", { cause: error });
  }
  const strings = zip.entry("xl/sharedStrings.xml");
  if (strings === undefined) reader.sharedStrings = [];
  else {
    try {
      // 'cache' mode fills reader.sharedStrings and yields nothing.
      for await (const _ of reader._parseSharedStrings(zip.stream(strings))) continue;
    } catch (error) {
      throw new ExportFormatUnrecognizedError([], "xl/sharedStrings.xml could not be read", { cause: error });
    }
  }
  // A worksheet the workbook names must be in the file: else its rows are missing, not zero.
  for (const sheet of reader.model?.sheets ?? []) {
    const rel = reader.workbookRels?.find((candidate) => candidate.Id === sheet.rId);
    if (rel?.Type?.endsWith("/worksheet") !== true || rel.Target === undefined) continue;
    const target = rel.Target.startsWith("/") ? rel.Target.slice(1) : `xl/${rel.Target}`;
    if (zip.entry(target) === undefined) throw new ExportFormatUnrecognizedError([], `sheet "${sheet.name ?? ""}" is listed but not in the file`);
  }
}

/** One sheet's rows: looking for the header row, then reading data rows into the builder. */
class SheetState {
  layout: HeaderLayout | null = null;
  /** The most text-filled row seen while looking for a header row: what an error reports. */
  candidate: string[] = [];
  /**
   * What each distinct text of the time and domain columns reads as, by its code in the raw
   * column (raw-column.ts): rows repeat a few hundred texts, so each is read once, not per row.
   */
  readonly #timeByCode: (number | undefined | null)[] = [];
  readonly #domainByCode: (DomainRows | undefined | null)[] = [];

  constructor(
    private readonly sheet: string,
    private readonly times: TimeCellReader,
    private readonly builder: UsageTableBuilder,
    private readonly raw: RawSheetBuilder,
  ) {}

  row(row: StreamingRow): void {
    // The getter builds the array each time: once per row. Cells are read from it (getCell
    // would build a Cell object each).
    const rowValues: unknown = row.values;
    const values: readonly unknown[] = Array.isArray(rowValues) ? rowValues : [];
    if (this.layout === null) {
      if (row.number <= HEADER_SCAN_ROWS) this.#lookForHeader(row, values);
      else this.raw.add(values);
      return;
    }
    this.raw.add(values);
    const layout = this.layout;
    const timeValue = values[layout.time + 1];
    const time = this.#time(timeValue, this.raw.lastCode(layout.time));
    if (time === undefined) {
      const text = cellText(timeValue).trim();
      const domainText = cellText(values[layout.domain + 1]);
      if (text === "" && domainText.trim() === "") return; // a blank row
      if (isSummaryLabel(text) || isSummaryLabel(domainText)) return; // a totals row
      throw this.#rowError(row, `time "${text.slice(0, 40)}" is not a time`);
    }
    const rows = this.#domain(values[layout.domain + 1], this.raw.lastCode(layout.domain));
    if (rows === null) {
      if (isSummaryLabel(cellText(timeValue))) return;
      throw this.#rowError(row, "no domain");
    }
    this.builder.add(rows, time, this.#measure(row, values, "traffic"), this.#measure(row, values, "bandwidth"), this.#measure(row, values, "requests"));
  }

  /** Epoch ms of a time cell, or undefined when it holds none. */
  #time(value: unknown, code: number): number | undefined {
    if (code < FIRST_TEXT) return this.times.read(value);
    let time = this.#timeByCode[code];
    if (time === undefined) {
      time = this.times.read(value) ?? null;
      this.#timeByCode[code] = time;
    }
    return time ?? undefined;
  }

  /** The rows of a domain cell's domain (lower case, trimmed); null when the cell holds none. */
  #domain(value: unknown, code: number): DomainRows | null {
    let rows = code < FIRST_TEXT ? undefined : this.#domainByCode[code];
    if (rows === undefined) {
      const domain = cellText(value).trim().toLowerCase();
      rows = domain === "" ? null : this.builder.rowsOf(domain);
      if (code >= FIRST_TEXT) this.#domainByCode[code] = rows;
    }
    return rows;
  }

  #measure(row: StreamingRow, values: readonly unknown[], measure: Measure): number {
    const column = this.layout?.[measure];
    if (column === null || column === undefined) return Number.NaN;
    const value = cellNumber(values[column.index + 1]);
    if (value === undefined) throw this.#rowError(row, `${measure} is not a number`);
    return value * column.factor;
  }

  #lookForHeader(row: StreamingRow, values: readonly unknown[]): void {
    const cells = Array.from(values.slice(1), (value) => cellText(value).trim());
    const match = matchHeaderRow(cells);
    if (match === null) {
      this.raw.pend(values);
      if (cells.filter((cell) => cell !== "").length > this.candidate.filter((cell) => cell !== "").length) this.candidate = cells;
      return;
    }
    if (!match.ok) throw new ExportFormatUnrecognizedError(cells, `sheet "${this.sheet}": ${match.problem}`);
    this.layout = match.layout;
    this.raw.header(values);
    this.builder.addMeasures({ traffic: match.layout.traffic !== null, bandwidth: match.layout.bandwidth !== null, requests: match.layout.requests !== null });
  }

  #rowError(row: StreamingRow, problem: string): ExportFormatUnrecognizedError {
    return new ExportFormatUnrecognizedError([], `sheet "${this.sheet}" row ${row.number}: ${problem}`);
  }
}

/**
 * Runs the read, bounded by the deadline and the caller's signal: on either the zip's streams
 * are closed, so a stalled read cannot hold a request or a file handle.
 */
async function withDeadline<T>(zip: WorkbookZip, options: ReadWorkbookOptions, read: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
  const signal = AbortSignal.any(signals);
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      zip.close();
      const reason: unknown = signal.reason;
      if (options.signal?.aborted) reject(reason instanceof Error ? reason : new Error("aborted"));
      else reject(new ExportFormatUnrecognizedError([], `reading took longer than ${timeoutMs} ms`));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    return await Promise.race([read(signal), aborted]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}
