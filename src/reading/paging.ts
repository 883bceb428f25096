/**
 * Pure paging arithmetic: Relay windows (first/after, last/before) over the upstream's
 * PageNumber/PageSize lists. Offsets are absolute, 0-based positions in the upstream order;
 * pages are 1-based like the upstream's PageNumber. No I/O here.
 */
import { z } from "zod";

/** PageSize every gateway page read uses (the upstream maximum), so reads are shareable. */
export const LOADER_PAGE_SIZE = 50;
/** Largest `first`/`last` one connection call may ask for (design.md). */
export const MAX_WINDOW_SIZE = 100;
/** Window size when neither `first` nor `last` is given. */
export const DEFAULT_WINDOW_SIZE = 20;
/** The upstream accepts PageNumber 1–100000. */
export const MAX_PAGE_NUMBER = 100_000;
/** One past the last offset any page the upstream accepts can hold. */
export const MAX_OFFSET = MAX_PAGE_NUMBER * LOADER_PAGE_SIZE;

/** Rules a window can break; they travel to clients as `extensions.rule`. */
export const WindowRule = {
  CURSOR_FORMAT: "cursor-format",
  NON_NEGATIVE: "non-negative",
  MAX_WINDOW_SIZE: `max-${MAX_WINDOW_SIZE}`,
} as const;

export type WindowArgName = "first" | "last" | "after" | "before";

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

// ---------------------------------------------------------------------------------------------
// Cursors: base64url of a versioned JSON payload.
// v1 `{ v, o }`: the absolute offset of the edge.
// v2 `{ v, o, t, c, n }`: also the edge's task (TaskId `t`, CreateTime `c` in epoch seconds) and
// the list's TotalCount `n` when issued, so a later page can notice that tasks created or
// deleted meanwhile moved the edge, and find it again (cursor-realign.ts). v1 cursors stay
// accepted (plain offsets). Unknown extra members are tolerated.

/** The task a v2 cursor was issued for: enough to find it again after the list shifted. */
export interface CursorAnchor {
  taskId: string;
  /** CreateTime, epoch seconds. */
  createdAt: number;
  /** TotalCount when the cursor was issued: growth since then is how far it most likely moved. */
  totalCount: number;
}

export interface CursorPosition {
  offset: number;
  anchor: CursorAnchor | null;
}

/** Longest TaskId a cursor carries (longer ones give a v1 cursor: still valid, just not shift-aware). */
export const MAX_ANCHOR_TASK_ID = 128;

const offsetSchema = z.int().min(0).max(MAX_OFFSET - 1);
const cursorPayload = z.discriminatedUnion("v", [
  z.looseObject({ v: z.literal(1), o: offsetSchema }),
  z.looseObject({
    v: z.literal(2),
    o: offsetSchema,
    t: z.string().min(1).max(MAX_ANCHOR_TASK_ID),
    c: z.int().min(0),
    n: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  }),
]);
const BASE64URL = /^[A-Za-z0-9_-]{1,512}$/;

/** The anchor for an edge's task, or null when it cannot be one (odd time or very long id). */
export function cursorAnchor(task: { taskId: string; createTime: string }, totalCount: number): CursorAnchor | null {
  const createdMs = Date.parse(task.createTime);
  if (Number.isNaN(createdMs) || createdMs < 0 || task.taskId === "" || task.taskId.length > MAX_ANCHOR_TASK_ID) return null;
  return { taskId: task.taskId, createdAt: Math.floor(createdMs / 1000), totalCount };
}

export function encodeCursor(offset: number, anchor: CursorAnchor | null = null): string {
  const payload =
    anchor === null ? { v: 1, o: offset } : { v: 2, o: offset, t: anchor.taskId, c: anchor.createdAt, n: anchor.totalCount };
  return Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
}

/** Offset and (v2) anchor of a cursor; throws InvalidWindowError naming `field` when malformed. */
export function decodeCursorPosition(cursor: string, field: "after" | "before"): CursorPosition {
  const refuse = (): never => {
    throw new InvalidWindowError(field, WindowRule.CURSOR_FORMAT, `${field}: not a cursor this gateway issued`);
  };
  if (!BASE64URL.test(cursor)) return refuse();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return refuse();
  }
  const parsed = cursorPayload.safeParse(json);
  if (!parsed.success) return refuse();
  const payload = parsed.data;
  return {
    offset: payload.o,
    anchor: payload.v === 2 ? { taskId: payload.t, createdAt: payload.c, totalCount: payload.n } : null,
  };
}

/** The offset a cursor points at; throws InvalidWindowError naming `field` when malformed. */
export function decodeCursor(cursor: string, field: "after" | "before"): number {
  return decodeCursorPosition(cursor, field).offset;
}

// ---------------------------------------------------------------------------------------------
// Windows

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

/** A half-open range of offsets `[start, end)`. */
export interface OffsetRange {
  start: number;
  end: number;
}

function checkSize(name: "first" | "last", value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (value < 0) throw new InvalidWindowError(name, WindowRule.NON_NEGATIVE, `${name} must not be negative`);
  if (value > MAX_WINDOW_SIZE) {
    throw new InvalidWindowError(name, WindowRule.MAX_WINDOW_SIZE, `${name} must be at most ${MAX_WINDOW_SIZE}`);
  }
  return value;
}

/** Checks sizes and decodes cursors; throws InvalidWindowError before anything is read. */
export function parseWindowArgs(args: ConnectionArgs): WindowRequest {
  const first = checkSize("first", args.first);
  const last = checkSize("last", args.last);
  const after = args.after === null || args.after === undefined ? null : decodeCursorPosition(args.after, "after");
  const before = args.before === null || args.before === undefined ? null : decodeCursorPosition(args.before, "before");
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

/** 1-based page numbers (of `pageSize`) holding the offsets of `range`, ascending. */
export function pagesForRange(range: OffsetRange, pageSize: number = LOADER_PAGE_SIZE): number[] {
  if (range.end <= range.start) return [];
  const firstPage = Math.floor(range.start / pageSize) + 1;
  const lastPage = Math.min(Math.floor((range.end - 1) / pageSize) + 1, MAX_PAGE_NUMBER);
  const pages: number[] = [];
  for (let page = firstPage; page <= lastPage; page += 1) pages.push(page);
  return pages;
}

/** Absolute offset of the first item on a page. */
export function pageStartOffset(pageNumber: number, pageSize: number = LOADER_PAGE_SIZE): number {
  return (pageNumber - 1) * pageSize;
}

/** Number of pages a list of `totalCount` items spans. */
export function pageCount(totalCount: number, pageSize: number = LOADER_PAGE_SIZE): number {
  return Math.min(Math.ceil(totalCount / pageSize), MAX_PAGE_NUMBER);
}

export interface WindowPageInfo {
  hasPreviousPage: boolean;
  hasNextPage: boolean;
}

/** Whether items exist on either side of a (clamped) range. */
export function windowPageInfo(range: OffsetRange, totalCount: number): WindowPageInfo {
  return { hasPreviousPage: range.start > 0 && totalCount > 0, hasNextPage: range.end < totalCount };
}
