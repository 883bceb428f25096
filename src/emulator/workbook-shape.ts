/**
 * The layouts the emulator's usage-detail workbooks come in. The real file's layout is not
 * published, so the emulator can write every shape the gateway's reader claims to read: both
 * languages, units inside the headers, a title above the header row, times with or without a
 * zone (or as Excel date serials), inline or shared strings, and either zip entry order
 * (exceljs's streaming writer puts workbook.xml last after the sheets; its document writer puts
 * the sheets before sharedStrings) — the orders behind exceljs#3064.
 */
import type { ExportLanguage } from "../upstream/types.js";
import { formatIsoSeconds } from "./time.js";

/**
 * `utc-iso` `2025-06-01T00:00:00Z`; `offset-iso` `2025-06-01T08:00:00+08:00`; `zoned-text`
 * `2025-06-01 08:00:00` (wall clock in `timeZone`, no zone said); `excel-serial` a number of
 * days since 1899-12-30 on the wall clock of `timeZone` (what Excel stores for a date cell).
 */
export type TimeCellStyle = "utc-iso" | "offset-iso" | "zoned-text" | "excel-serial";
export type TrafficUnit = "Byte" | "KB" | "MB" | "GB" | "TB";
export type BandwidthUnit = "bps" | "Kbps" | "Mbps" | "Gbps";

export interface WorkbookShape {
  /** A report title and a blank row above the header row. */
  titleRows: boolean;
  time: TimeCellStyle;
  /** Wall-clock zone of `zoned-text`, `offset-iso` and `excel-serial` times. */
  timeZone: string;
  trafficUnit: TrafficUnit;
  bandwidthUnit: BandwidthUnit;
  /** Strings in xl/sharedStrings.xml (as Excel writes them) rather than inline. */
  sharedStrings: boolean;
  /** `streaming`: rows go out as they are made (any size); `document`: built in memory (small files). */
  writer: "streaming" | "document";
  /** Data rows at most; the About sheet says when a file was cut. */
  maxRows: number;
}

/**
 * Enough for the longest task (31 days) over 100 domains (892,800 rows) and below Excel's
 * 1,048,576 rows per sheet.
 */
export const MAX_ROWS = 1_000_000;

export const DEFAULT_WORKBOOK_SHAPE: Readonly<WorkbookShape> = {
  titleRows: false,
  time: "utc-iso",
  timeZone: "Asia/Shanghai",
  trafficUnit: "Byte",
  bandwidthUnit: "bps",
  sharedStrings: false,
  writer: "streaming",
  maxRows: MAX_ROWS,
};

/** Bytes per traffic unit: binary multiples, as Alibaba Cloud's CDN bills traffic (1 GB = 1024 MB). */
export const TRAFFIC_UNIT_BYTES: Readonly<Record<TrafficUnit, number>> = { Byte: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
/** Bits per second per bandwidth unit: decimal multiples, as network bandwidth is counted. */
export const BANDWIDTH_UNIT_BPS: Readonly<Record<BandwidthUnit, number>> = { bps: 1, Kbps: 1e3, Mbps: 1e6, Gbps: 1e9 };

export type Column = "time" | "domain" | "traffic" | "bandwidth" | "requests";

interface Words {
  sheet: string;
  about: string;
  title: string;
  time: string;
  domain: string;
  traffic: (unit: TrafficUnit) => string;
  bandwidth: (unit: BandwidthUnit) => string;
  requests: string;
}

const WORDS: Readonly<Record<ExportLanguage, Words>> = {
  "zh-cn": {
    sheet: "用量明细",
    about: "说明",
    title: "CDN用量明细",
    time: "时间",
    domain: "域名",
    traffic: (unit) => `流量(${unit})`,
    bandwidth: (unit) => `带宽(${unit})`,
    requests: "请求数",
  },
  "en-us": {
    sheet: "Usage details",
    about: "About",
    title: "CDN usage details",
    time: "Time",
    domain: "Domain",
    traffic: (unit) => `Traffic (${unit})`,
    bandwidth: (unit) => `Bandwidth (${unit})`,
    requests: "Requests",
  },
};

export function sheetNames(language: ExportLanguage): { data: string; about: string } {
  return { data: WORDS[language].sheet, about: WORDS[language].about };
}

export function reportTitle(language: ExportLanguage): string {
  return WORDS[language].title;
}

export function headerText(column: Column, language: ExportLanguage, shape: WorkbookShape): string {
  const words = WORDS[language];
  switch (column) {
    case "traffic":
      return words.traffic(shape.trafficUnit);
    case "bandwidth":
      return words.bandwidth(shape.bandwidthUnit);
    default:
      return words[column];
  }
}

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** Epoch ms of the wall clock in `timeZone` at `ms`, read as if it were UTC. */
function wallClockMs(ms: number, timeZone: string): number {
  let format = wallClocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    wallClocks.set(timeZone, format);
  }
  const part: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const { type, value } of format.formatToParts(ms)) part[type] = Number(value);
  return Date.UTC(part.year ?? 1970, (part.month ?? 1) - 1, part.day ?? 1, part.hour ?? 0, part.minute ?? 0, part.second ?? 0);
}

const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const DAY_MS = 86_400_000;

/** The time cell of a row starting at `ms`, in the shape's style. */
export function timeCell(ms: number, shape: WorkbookShape): string | number {
  if (shape.time === "utc-iso") return formatIsoSeconds(ms);
  const wall = wallClockMs(ms, shape.timeZone);
  if (shape.time === "excel-serial") return (wall - EXCEL_EPOCH_MS) / DAY_MS;
  const text = new Date(wall).toISOString().slice(0, 19);
  if (shape.time === "zoned-text") return text.replace("T", " ");
  const offsetMinutes = Math.round((wall - ms) / 60_000);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${text}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}
