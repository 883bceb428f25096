/**
 * A sheet of an export as it is (`ExportTask.sheets`): its name, its header row, and the rows
 * below it, cell by cell as text, kept column by column in compact codes (raw-column.ts).
 *
 * The header row is the one the usage reader recognises (header-table.ts); rows above it (a
 * report title, notes) are not part of the table. A sheet without such a row (the About sheet)
 * takes its first non-empty row as headers. Every row is as wide as the sheet's widest row.
 */
import { cellText } from "./cell-values.js";
import { RawColumnBuilder, rawCellText, rawColumnBytes, type RawColumn } from "./raw-column.js";

export interface RawSheet {
  readonly name: string;
  readonly headers: readonly string[];
  /** Rows below the header row. */
  readonly rowCount: number;
  readonly columns: readonly RawColumn[];
  readonly byteSize: number;
}

/** Cells of rows `start` to `end` (exclusive): text, or null for an empty cell. */
export function rawRows(sheet: RawSheet, start: number, end: number): (string | null)[][] {
  const rows: (string | null)[][] = [];
  for (let row = Math.max(0, start); row < Math.min(end, sheet.rowCount); row++) {
    rows.push(sheet.columns.map((column) => rawCellText(column, row)));
  }
  return rows;
}

/**
 * Builds one sheet as rows stream in. Row values are exceljs's: 1-based arrays (index 0 unused),
 * holes for empty cells. Until the reader knows which row is the header row, rows wait in
 * `pending` (at most the rows the reader scans for one).
 */
export class RawSheetBuilder {
  readonly #name: string;
  #headers: string[] | null = null;
  #pending: (readonly unknown[])[] = [];
  readonly #columns: RawColumnBuilder[] = [];
  #rowCount = 0;

  constructor(name: string) {
    this.#name = name;
  }

  /** A row above or at the header row, before the header row is known. */
  pend(values: readonly unknown[]): void {
    if (this.#headers === null) this.#pending.push(values);
    else this.add(values);
  }

  /** This row is the header row: what came before it is a title, not table rows. */
  header(values: readonly unknown[]): void {
    this.#pending = [];
    this.#headers = textCells(values);
  }

  /** A row of the table. */
  add(values: readonly unknown[]): void {
    if (this.#headers === null) this.#withoutHeaderRow();
    const width = values.length - 1;
    for (let c = this.#columns.length; c < width; c++) this.#columns.push(new RawColumnBuilder(this.#rowCount));
    for (let c = 0; c < this.#columns.length; c++) this.#columns[c]?.push(values[c + 1]);
    this.#rowCount += 1;
  }

  /** The code the last row added has in `column` (raw-column.ts): equal codes, equal text. */
  lastCode(column: number): number {
    return this.#columns[column]?.lastCode ?? 0;
  }

  finish(): RawSheet {
    if (this.#headers === null) this.#withoutHeaderRow();
    const headers = this.#headers ?? [];
    for (let c = this.#columns.length; c < headers.length; c++) this.#columns.push(new RawColumnBuilder(this.#rowCount));
    const columns = this.#columns.map((column) => column.finish());
    const width = columns.length;
    const paddedHeaders = headers.length >= width ? headers : [...headers, ...Array.from({ length: width - headers.length }, () => "")];
    let byteSize = 64 + 2 * this.#name.length;
    for (const header of paddedHeaders) byteSize += 2 * header.length + 32;
    for (const column of columns) byteSize += rawColumnBytes(column);
    return { name: this.#name, headers: paddedHeaders, rowCount: this.#rowCount, columns, byteSize };
  }

  /** No header row the reader knows: the first non-empty row is the headers, the rest are rows. */
  #withoutHeaderRow(): void {
    const pending = this.#pending;
    this.#pending = [];
    const first = pending.findIndex((values) => values.some((value) => cellText(value) !== ""));
    this.#headers = first === -1 ? [] : textCells(pending[first] ?? []);
    for (const values of pending.slice(first + 1)) this.add(values);
  }
}

function textCells(values: readonly unknown[]): string[] {
  return Array.from(values.slice(1), (value) => cellText(value));
}
