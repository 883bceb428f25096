/**
 * One column of a sheet as it is in the file, kept compact (the raw `sheets` view of an export):
 * per row a small code, not a string. Code 0 is an empty cell, 1 a number (held in a typed array
 * of the narrowest kind that holds every value exactly), 2 + k the k-th distinct text of the
 * column. Usage files repeat their texts (a domain per row, a time per slot), so a 31-day,
 * 100-domain file keeps its domain column in 1 byte a row and its time text in 2.
 */
import { cellText } from "./cell-values.js";

export const EMPTY_CELL = 0;
export const NUMBER_CELL = 1;
export const FIRST_TEXT = 2;

export type CodeArray = Uint8Array | Uint16Array | Uint32Array;
export type NumberArray = Uint32Array | Float32Array | Float64Array;

export interface RawColumn {
  /** Per row; a plain number when every row has the same code. */
  readonly codes: CodeArray | number;
  /** Values of the rows coded NUMBER_CELL (other rows hold 0); null when there are none. */
  readonly numbers: NumberArray | null;
  /** Distinct texts, in order of first appearance. */
  readonly texts: readonly string[];
}

/**
 * A copy of `text` that holds only its own characters. The XML parser's strings are often
 * slices of the whole chunk they were read from, and V8 keeps that chunk alive as long as the
 * slice: kept as they are, 8,928 time texts of a large export would hold ~150 MB of XML.
 */
export function ownString(text: string): string {
  return Buffer.from(text, "utf8").toString("utf8");
}

/** The text of row `row` of a column: null for an empty cell, numbers as JavaScript writes them. */
export function rawCellText(column: RawColumn, row: number): string | null {
  const code = typeof column.codes === "number" ? column.codes : (column.codes[row] ?? EMPTY_CELL);
  if (code === EMPTY_CELL) return null;
  if (code === NUMBER_CELL) return String(column.numbers?.[row] ?? 0);
  return column.texts[code - FIRST_TEXT] ?? null;
}

/** Bytes a column holds (typed arrays, and texts at two bytes a character plus a string's overhead). */
export function rawColumnBytes(column: RawColumn): number {
  let bytes = 48 + (typeof column.codes === "number" ? 0 : column.codes.byteLength) + (column.numbers?.byteLength ?? 0);
  for (const text of column.texts) bytes += 2 * text.length + 32;
  return bytes;
}

const INITIAL_ROWS = 1024;

/** Collects one column as rows stream in; `finish()` narrows the arrays. */
export class RawColumnBuilder {
  #rows: number;
  /** The one code every row so far has had, until two differ (then `#codes` holds them). */
  #uniform = EMPTY_CELL;
  #codes: CodeArray | null = null;
  /** Largest code `#codes` can hold. */
  #codeLimit = 0;
  #numbers: Float64Array | null = null;
  readonly #textCodes = new Map<string, number>();
  readonly #texts: string[] = [];
  #lastText = "";
  #lastTextCode = -1;
  #lastCode = EMPTY_CELL;

  /** `emptyRows`: rows the sheet had before this column first held a cell. */
  constructor(emptyRows = 0) {
    this.#rows = emptyRows;
  }

  push(value: unknown): void {
    const row = this.#rows++;
    if (value === undefined || value === null) return this.#code(row, EMPTY_CELL);
    if (typeof value === "number" && Number.isFinite(value)) return this.#number(row, value);
    if (typeof value === "object" && !(value instanceof Date) && "result" in value && typeof value.result === "number" && Number.isFinite(value.result)) {
      return this.#number(row, value.result); // a formula's numeric result
    }
    const text = typeof value === "string" ? value : cellText(value);
    if (text === "") return this.#code(row, EMPTY_CELL);
    this.#code(row, this.#textCode(text));
  }

  get rows(): number {
    return this.#rows;
  }

  /** The code of the row pushed last: the same code, the same text (or 1 for a number). */
  get lastCode(): number {
    return this.#lastCode;
  }

  finish(): RawColumn {
    const rows = this.#rows;
    const codes = this.#codes === null ? this.#uniform : narrowCodes(this.#codes.subarray(0, rows), this.#texts.length + FIRST_TEXT - 1);
    const numbers = this.#numbers === null ? null : narrowNumbers(this.#numbers.subarray(0, rows));
    return { codes, numbers, texts: this.#texts };
  }

  #number(row: number, value: number): void {
    let numbers = this.#numbers;
    if (numbers === null || row >= numbers.length) {
      const grown = new Float64Array(capacityFor(row, numbers?.length ?? 0));
      if (numbers !== null) grown.set(numbers);
      this.#numbers = numbers = grown;
    }
    numbers[row] = value;
    this.#code(row, NUMBER_CELL);
  }

  #textCode(text: string): number {
    // Rows come in runs: a time repeats for every domain of its slot.
    if (text === this.#lastText) return this.#lastTextCode;
    let code = this.#textCodes.get(text);
    if (code === undefined) {
      code = this.#texts.length + FIRST_TEXT;
      const own = ownString(text);
      this.#texts.push(own);
      this.#textCodes.set(own, code);
    }
    this.#lastText = text;
    this.#lastTextCode = code;
    return code;
  }

  #code(row: number, code: number): void {
    this.#lastCode = code;
    let codes = this.#codes;
    if (codes === null) {
      if (row === 0) this.#uniform = code;
      if (code === this.#uniform) return;
      // Two codes differ at last: every earlier row had the uniform one.
      codes = this.#setCodes(codeArrayFor(Math.max(code, this.#uniform), capacityFor(row, 0)));
      codes.fill(this.#uniform, 0, row);
    }
    if (row >= codes.length || code > this.#codeLimit) {
      const grown = codeArrayFor(Math.max(code, this.#codeLimit), row >= codes.length ? capacityFor(row, codes.length) : codes.length);
      grown.set(codes);
      codes = this.#setCodes(grown);
    }
    codes[row] = code;
  }

  #setCodes(codes: CodeArray): CodeArray {
    this.#codes = codes;
    this.#codeLimit = codes instanceof Uint8Array ? 0xff : codes instanceof Uint16Array ? 0xffff : 0xffffffff;
    return codes;
  }
}

function capacityFor(row: number, current: number): number {
  let capacity = Math.max(current, INITIAL_ROWS);
  while (capacity <= row) capacity *= 2;
  return capacity;
}

function codeArrayFor(largest: number, length: number): CodeArray {
  if (largest <= 0xff) return new Uint8Array(length);
  if (largest <= 0xffff) return new Uint16Array(length);
  return new Uint32Array(length);
}

/** A copy in the narrowest array that holds codes up to `largest`. */
function narrowCodes(codes: CodeArray, largest: number): CodeArray {
  const out = codeArrayFor(largest, codes.length);
  out.set(codes);
  return out;
}

/** A copy in Uint32 when every value is a whole number that fits, else Float32 when exact, else Float64. */
function narrowNumbers(values: Float64Array): NumberArray {
  let whole = true;
  let single = true;
  for (let i = 0; i < values.length && (whole || single); i++) {
    const value = values[i] ?? 0;
    if (whole && !(Number.isInteger(value) && value >= 0 && value <= 0xffffffff && !Object.is(value, -0))) whole = false;
    if (single && Math.fround(value) !== value) single = false;
  }
  if (whole) return Uint32Array.from(values);
  if (single) return Float32Array.from(values);
  return Float64Array.from(values);
}
