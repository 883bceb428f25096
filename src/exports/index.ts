/**
 * Export files: which download URLs may be shown (download-policy), and reading a finished
 * usage-detail export into usage data (design.md "Export contents"): download under the safety
 * rules, streaming parse into a columnar form and the raw sheets, kept per export (in process,
 * and shared through Redis), aggregated into series and CSV, paged with bound cursors.
 */
export { ALIBABA_DOWNLOAD_HOST_SUFFIXES, checkDownloadUrl, DownloadUrlGuard, downloadUrlPolicy, reportOncePerHost } from "./download-policy.js";
export type { DownloadUrlPolicy, DownloadUrlPolicyOptions, DownloadUrlRefusal, DownloadUrlRefusedEvent, DownloadUrlVerdict } from "./download-policy.js";
export { ExportError, ExportFormatUnrecognizedError, ExportNotReadyError, ExportTooLargeError, ExportUnavailableError } from "./errors.js";
export type { ExportErrorCode, ExportUnavailableReason } from "./errors.js";
export { DEFAULT_EXPORT_FETCH_TIMEOUT_MS, DEFAULT_EXPORT_MAX_FILE_BYTES, downloadWithRefresh, ExportDownloader } from "./download.js";
export type { DownloadedFile, ExportDownloaderOptions, ExportSource } from "./download.js";
export { isPublicAddress } from "./address-guard.js";
export { DEFAULT_CONCURRENT_READS, DEFAULT_EXPORT_CACHE_BYTES, DEFAULT_EXPORT_FILE_TIME_ZONE, ExportContents } from "./export-contents.js";
export type { ExportContentsOptions, ExportContentsStats, ExportReadEvent, ExportStepInfo, ExportStepWrapper, ExportStepWrappers } from "./export-contents.js";
export { createExportReading } from "./export-reading.js";
export type { ExportReading, ExportReadingOptions } from "./export-reading.js";
export { DEFAULT_EXPORT_PAGE, encodeExportCursor, ExportWindowRule, exportListBinding, exportWindow, MAX_EXPORT_PAGE, windowPageInfo } from "./export-window.js";
export type { ExportWindow, ExportWindowArgs } from "./export-window.js";
export { exportFailureData } from "./errors.js";
export { decodeParsedExport, encodeParsedExport, ParsedCodecError } from "./parsed-codec.js";
export { parsedExport } from "./parsed-export.js";
export type { ParsedExport } from "./parsed-export.js";
export { rawCellText } from "./raw-column.js";
export type { RawColumn } from "./raw-column.js";
export { rawRows } from "./raw-sheet.js";
export type { RawSheet } from "./raw-sheet.js";
export { DEFAULT_SHARED_TTL_MS, SharedLoads } from "./shared-loads.js";
export type { SharedLoadsOptions, SharedOutcome } from "./shared-loads.js";
export { MAX_SHEETS, readExportWorkbook, readUsageWorkbook } from "./workbook-reader.js";
export type { ReadWorkbookOptions } from "./workbook-reader.js";
export { HEADER_NAMES, SUMMARY_ROW_LABELS, UNIT_FACTORS } from "./header-table.js";
export type { Measure } from "./header-table.js";
export type { UsageKind, UsageTable } from "./usage-table.js";
export { usageSeries } from "./usage-series.js";
export type { UsagePoints, UsageQuery, UsageSeries, UsageSummary } from "./usage-series.js";
export { CSV_HEADER, writeUsageCsv } from "./usage-csv.js";
export type { UsageCsvQuery } from "./usage-csv.js";
export { isKnownTimeZone, type UsageInterval } from "./zoned-time.js";
