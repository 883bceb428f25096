/**
 * What one read of a finished usage-detail export keeps: its usage in columns (usage-table.ts)
 * and its sheets as they are (raw-sheet.ts). This is what is cached, per export, in process and
 * (encoded, parsed-codec.ts) in Redis.
 */
import type { RawSheet } from "./raw-sheet.js";
import type { UsageTable } from "./usage-table.js";

export interface ParsedExport {
  readonly usage: UsageTable;
  readonly sheets: readonly RawSheet[];
  /** Bytes held by both, for the cache's budget. */
  readonly byteSize: number;
}

export function parsedExport(usage: UsageTable, sheets: readonly RawSheet[]): ParsedExport {
  return { usage, sheets, byteSize: sheets.reduce((sum, sheet) => sum + sheet.byteSize, usage.byteSize) };
}
