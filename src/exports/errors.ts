/**
 * Typed failures of reading an export file, each with a stable `code` (the GraphQL catalogue's
 * names, design.md "Export contents"). Messages name the host at most, never the download URL:
 * signed URLs carry credentials in their query string. `exportFailureData` says what a client
 * is told (the catalogue's shape), for GraphQL and the CSV route alike.
 */
import { errorData, ErrorCode, type GatewayErrorData } from "../errors.js";

export type ExportErrorCode = "EXPORT_NOT_READY" | "EXPORT_UNAVAILABLE" | "EXPORT_TOO_LARGE" | "EXPORT_FORMAT_UNRECOGNIZED";

/** Why a file could not be had: the policy or the address refused it, the fetch failed, or the link expired. */
export type ExportUnavailableReason = "host-not-allowed" | "fetch-failed" | "expired";

export abstract class ExportError extends Error {
  abstract readonly code: ExportErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The task has not succeeded (yet, or ever): there is no file to read. */
export class ExportNotReadyError extends ExportError {
  readonly code = "EXPORT_NOT_READY";
  constructor(
    /** The task's status (ExportTaskStatus). */
    readonly status: string,
    readonly task: { kind: string; taskId: string } | null = null,
  ) {
    super(`the export${task === null ? "" : ` ${task.taskId}`} has not succeeded (status ${status})`);
  }
}

export class ExportUnavailableError extends ExportError {
  readonly code = "EXPORT_UNAVAILABLE";
  constructor(
    readonly reason: ExportUnavailableReason,
    /** The URL's host when known; never the path or query. */
    readonly host: string | null,
    /** What went wrong, in words that name the host at most. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`export file unavailable (${reason}${host === null ? "" : `, host ${host}`}): ${detail}`, options);
  }
}

/** The file is larger than EXPORT_MAX_FILE_BYTES (said by Content-Length, or counted). */
export class ExportTooLargeError extends ExportError {
  readonly code = "EXPORT_TOO_LARGE";
  constructor(readonly limitBytes: number) {
    super(`export file larger than ${limitBytes} bytes`);
  }
}

/**
 * The file is not a workbook the reader understands: not a zip of sheets, or no sheet with a
 * header row naming the columns it needs. `headers` is what was found, to tell what differs.
 */
export class ExportFormatUnrecognizedError extends ExportError {
  readonly code = "EXPORT_FORMAT_UNRECOGNIZED";
  constructor(
    readonly headers: readonly string[],
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`export file format not recognized: ${detail}${headers.length === 0 ? "" : ` (headers found: ${headers.join(" | ")})`}`, options);
  }
}

/** What a client is told of an export failure; null for anything that is not one. */
export function exportFailureData(error: unknown): GatewayErrorData | null {
  if (error instanceof ExportNotReadyError) {
    return errorData(ErrorCode.EXPORT_NOT_READY, error.message, { ...(error.task ?? {}), status: error.status });
  }
  if (error instanceof ExportUnavailableError) return errorData(ErrorCode.EXPORT_UNAVAILABLE, error.message, { reason: error.reason });
  if (error instanceof ExportTooLargeError) return errorData(ErrorCode.EXPORT_TOO_LARGE, error.message, { limitBytes: error.limitBytes });
  if (error instanceof ExportFormatUnrecognizedError) return errorData(ErrorCode.EXPORT_FORMAT_UNRECOGNIZED, error.message, { headers: [...error.headers] });
  return null;
}
