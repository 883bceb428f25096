/**
 * Relay windows (first/after, last/before) over the upstream's offset order: the arguments a
 * client may give, checked before anything is read, and the offsets a window covers. No I/O here.
 */
import { readCursor, type CursorAnchor, type CursorPosition } from "./cursors.js";
import { DEFAULT_WINDOW_SIZE, MAX_OFFSET, MAX_WINDOW_SIZE, type OffsetRange } from "./paging.js";

/** Rules a window can break; they travel to clients as `extensions.rule`. */
export const WindowRule = {
  CURSOR_FORMAT: "cursor-format",
  /** A cursor another list issued (another kind, filter or connection). */
  CURSOR_MISMATCH: "cursor-mismatch",
  /** Kept for negative sizes, as before `min-1` existed. */
  NON_NEGATIVE: "non-negative",
  MIN_WINDOW_SIZE: "min-1",
  MAX_WINDOW_SIZE: `max-${MAX_WINDOW_SIZE}`,
  /** A filtered walk that would read more pages than one request may (filtered-window.ts). */
  FILTER_SCAN_LIMIT: "filter-scan-limit",
} as const;

export type WindowArgName = "first" | "last" | "after" | "before" | "filter";

/** A window argument the gateway refuses; resolvers turn it into BAD_USER_INPUT. */
export class InvalidWindowError extends Error {
  constructor(
    readonly field: WindowArgName,
    readonly rule: string,
    message: string,
  ) {
    super(message);
    this.name = "InvalidWindowError";
  }
}

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** Validated arguments: bounds from cursors plus the requested sizes. */
export interface WindowRequest {
  /** First offset the window may include (after + 1, or 0). */
  lowerBound: number;
  /** Offset the window must stop before (the `before` cursor), or null when open-ended. */
  upperBound: number | null;
  first: number | null;
  last: number | null;
  /** The tasks the `after`/`before` cursors were issued for (v2 cursors): checked before reading. */
  afterAnchor?: CursorAnchor | null;
  beforeAnchor?: CursorAnchor | null;
}

/**
 * Which list a window's cursors must come from: its binding (`cursorBinding`), and whether
 * cursors without one (issued before bindings existed) are still taken. Only lists that
 * existed then (the unfiltered `tasks`) take them: they can only have come from such a list.
 */
export interface CursorIssuer {
  binding: string;
  acceptsUnbound: boolean;
}

/**
 * Offset and (v2) anchor of a cursor; throws InvalidWindowError naming `field` when malformed,
 * or when `issuer` is given and another list issued it.
 */
export function decodeCursorPosition(cursor: string, field: "after" | "before", issuer?: CursorIssuer): CursorPosition {
  const position = readCursor(cursor);
  if (position === null) throw new InvalidWindowError(field, WindowRule.CURSOR_FORMAT, `${field}: not a cursor this gateway issued`);
  if (issuer !== undefined && (position.binding === null ? !issuer.acceptsUnbound : position.binding !== issuer.binding)) {
    throw new InvalidWindowError(
      field,
      WindowRule.CURSOR_MISMATCH,
      `${field}: this cursor was issued by another list (another kind, filter or connection); use a cursor of this one`,
    );
  }
  return position;
}

/** The offset a cursor points at; throws InvalidWindowError naming `field` when malformed. */
export function decodeCursor(cursor: string, field: "after" | "before"): number {
  return decodeCursorPosition(cursor, field).offset;
}

function checkSize(name: "first" | "last", value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (value < 0) throw new InvalidWindowError(name, WindowRule.NON_NEGATIVE, `${name} must not be negative (1–${MAX_WINDOW_SIZE})`);
  if (value < 1) throw new InvalidWindowError(name, WindowRule.MIN_WINDOW_SIZE, `${name} must be at least 1 (1–${MAX_WINDOW_SIZE})`);
  if (value > MAX_WINDOW_SIZE) {
    throw new InvalidWindowError(name, WindowRule.MAX_WINDOW_SIZE, `${name} must be at most ${MAX_WINDOW_SIZE}`);
  }
  return value;
}

/**
 * Checks sizes and decodes cursors; throws InvalidWindowError before anything is read. With
 * `issuer`, cursors another list issued are refused (`cursor-mismatch`).
 */
export function parseWindowArgs(args: ConnectionArgs, issuer?: CursorIssuer): WindowRequest {
  const first = checkSize("first", args.first);
  const last = checkSize("last", args.last);
  const after = args.after === null || args.after === undefined ? null : decodeCursorPosition(args.after, "after", issuer);
  const before = args.before === null || args.before === undefined ? null : decodeCursorPosition(args.before, "before", issuer);
  return {
    lowerBound: after === null ? 0 : after.offset + 1,
    upperBound: before === null ? null : before.offset,
    first,
    last,
    afterAnchor: after?.anchor ?? null,
    beforeAnchor: before?.anchor ?? null,
  };
}

/** `last` without `before` counts back from the end, so the total must be known first. */
export function needsTotalCount(request: WindowRequest): boolean {
  return request.last !== null && request.upperBound === null;
}

/**
 * The offsets a window covers. `totalCount` clamps it when known; without it the range may run
 * past the end (the page reads then tell the truth). Relay order: after/before bound the list,
 * then `first` keeps the head, then `last` keeps the tail.
 */
export function windowRange(request: WindowRequest, totalCount?: number): OffsetRange {
  if (totalCount === undefined && needsTotalCount(request)) {
    throw new Error("windowRange: `last` without `before` needs the total count");
  }
  const start0 = request.lowerBound;
  let end = request.upperBound ?? totalCount ?? Number.POSITIVE_INFINITY;
  if (totalCount !== undefined) end = Math.min(end, totalCount);
  end = Math.min(end, MAX_OFFSET);
  let start = Math.min(start0, end);
  if (request.first !== null) end = Math.min(end, start + request.first);
  if (request.last !== null) start = Math.max(start, end - request.last);
  if (request.first === null && request.last === null) end = Math.min(end, start + DEFAULT_WINDOW_SIZE);
  return { start, end: Math.max(start, end) };
}

export interface WindowPageInfo {
  hasPreviousPage: boolean;
  hasNextPage: boolean;
}

/** Whether items exist on either side of a (clamped) range. */
export function windowPageInfo(range: OffsetRange, totalCount: number): WindowPageInfo {
  return { hasPreviousPage: range.start > 0 && totalCount > 0, hasNextPage: range.end < totalCount };
}
