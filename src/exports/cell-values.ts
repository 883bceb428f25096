/**
 * Cell values of a streamed workbook (exceljs, styles ignored) as the reader needs them: text,
 * numbers, and instants. With styles ignored a date cell arrives as its Excel serial number,
 * which is a wall-clock time, as is time text without a zone: both are read in the file's
 * zone (EXPORT_FILE_TIME_ZONE). Text that carries a zone (`Z`, `+08:00`, `UTC`) is read as such.
 */
import { DAY_MS, ZoneClock } from "./zoned-time.js";

/** The text of a cell: strings, numbers, rich text, formula results; "" for empty or errors. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") {
    if ("richText" in value && Array.isArray(value.richText)) {
      return value.richText.map((run: unknown) => (typeof run === "object" && run !== null && "text" in run && typeof run.text === "string" ? run.text : "")).join("");
    }
    if ("result" in value) return cellText(value.result);
    if ("text" in value) return cellText(value.text);
  }
  return "";
}

/** A number from a cell: numbers as they are, numeric text (`1,234.5`); NaN for empty; undefined when not a number. */
export function cellNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "object" && value !== null && "result" in value) return cellNumber(value.result);
  const text = cellText(value).trim();
  if (text === "" || text === "-") return Number.NaN;
  const number = Number(text.replace(/,/g, ""));
  return Number.isFinite(number) ? number : undefined;
}

/** `2025-06-01 08:00:00`, `2025/6/1 8:00`, `2025-06-01T00:00:00Z`, `…+08:00`, `… UTC`. */
const TIME_TEXT =
  /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,3})\d*)?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Days from Excel's epoch (1899-12-30; 1904-01-01 in 1904-system workbooks) to 1970-01-01. */
const SERIAL_DAYS_TO_1970 = 25_569;
const SERIAL_DAYS_TO_1970_1904 = 24_107;

export class TimeCellReader {
  readonly #clock: ZoneClock;
  readonly #serialDaysTo1970: number;
  #lastText = "";
  #lastMs = Number.NaN;

  /** `fileTimeZone` names the wall clock of zone-less times; throws RangeError when unknown. */
  constructor(fileTimeZone: string, date1904 = false) {
    this.#clock = new ZoneClock(fileTimeZone);
    this.#serialDaysTo1970 = date1904 ? SERIAL_DAYS_TO_1970_1904 : SERIAL_DAYS_TO_1970;
  }

  /** Epoch ms of a time cell, or undefined when the cell holds no time. */
  read(value: unknown): number | undefined {
    if (typeof value === "number") return this.fromSerial(value);
    if (value instanceof Date) return value.getTime();
    if (typeof value === "object" && value !== null && "result" in value) return this.read(value.result);
    const text = typeof value === "string" ? value : cellText(value);
    // Rows come in time order, one per domain: most cells repeat the one before.
    if (text === this.#lastText) return this.#lastMs;
    const ms = this.fromText(text.trim());
    if (ms !== undefined) {
      this.#lastText = text;
      this.#lastMs = ms;
    }
    return ms;
  }

  fromSerial(serial: number): number | undefined {
    if (!Number.isFinite(serial) || serial <= 0 || serial > 2_958_465) return undefined; // Excel's last day is 9999-12-31
    // Serials are floats: round to the second, as Excel shows them.
    const wall = Math.round(((serial - this.#serialDaysTo1970) * DAY_MS) / 1000) * 1000;
    return this.#clock.toUtc(wall);
  }

  fromText(text: string): number | undefined {
    const m = TIME_TEXT.exec(text);
    if (!m) return undefined;
    const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
    const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, "0"));
    const wall = Date.UTC(year, month - 1, day, hour, minute, second, millis);
    const check = new Date(wall);
    // Date.UTC rolls 2025-02-30 and 24:00 over: a real date reads back the same.
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || check.getUTCHours() !== hour) return undefined;
    if (minute > 59 || second > 59) return undefined;
    const zone = m[8];
    if (zone === undefined) return this.#clock.toUtc(wall);
    return wall - zoneOffsetMs(zone);
  }
}

function zoneOffsetMs(zone: string): number {
  if (/^(z|utc|gmt)$/i.test(zone)) return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0")) * 60_000;
}
