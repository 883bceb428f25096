/**
 * Pages over what a parsed export holds (`usage.points`, `sheets.rows`): `first`/`after` over a
 * list whose length is known, with cursors bound to the list that issued them.
 *
 * A cursor is base64url JSON `{ v: 1, o: offset, b: binding }`, the shape of the task list's
 * cursors, with `b` a digest of what identifies the list (the task, the sheet, or the series'
 * domain, span, interval and zone). A cursor from another list — another series, another sheet,
 * or `tasks` — is refused with `cursor-mismatch`, and `tasks` refuses these for the same reason
 * (its cursors carry no binding, or another one).
 */
import { createHash } from "node:crypto";
import { InvalidWindowError } from "../reading/relay-window.js";

/** Most items one page may hold (design.md: `first` at most 1000 for points and rows). */
export const MAX_EXPORT_PAGE = 1000;
/** Without `first`, a page is as large as it may be: a day of 5-minute points fits in one. */
export const DEFAULT_EXPORT_PAGE = MAX_EXPORT_PAGE;

/** Rules a page's arguments can break (`extensions.rule`), named as the task list names them. */
export const ExportWindowRule = {
  CURSOR_FORMAT: "cursor-format",
  CURSOR_MISMATCH: "cursor-mismatch",
  NON_NEGATIVE: "non-negative",
  MIN_SIZE: "min-1",
  MAX_SIZE: `max-${MAX_EXPORT_PAGE}`,
} as const;

const BINDING_LENGTH = 16;
const BASE64URL = /^[A-Za-z0-9_-]{1,512}$/;

/** The binding of a list: a short digest of the parts that identify it. */
export function exportListBinding(...parts: readonly (string | number | null)[]): string {
  return createHash("sha256").update(JSON.stringify(["export-list", ...parts]), "utf8").digest("base64url").slice(0, BINDING_LENGTH);
}

export function encodeExportCursor(offset: number, binding: string): string {
  return Buffer.from(JSON.stringify({ v: 1, o: offset, b: binding }), "utf8").toString("base64url");
}

export interface ExportWindowArgs {
  first?: number | null;
  after?: string | null;
}

/** A page of a list: its items `start` to `end` (exclusive), and where it sits in the whole. */
export interface ExportWindow {
  start: number;
  end: number;
  totalCount: number;
  binding: string;
}

/**
 * Checks `first` and `after` (InvalidWindowError → BAD_USER_INPUT naming the argument and the
 * rule) and says which items of a list of `totalCount` the page holds.
 */
export function exportWindow(args: ExportWindowArgs, binding: string, totalCount: number): ExportWindow {
  const first = args.first ?? DEFAULT_EXPORT_PAGE;
  if (first < 0) throw new InvalidWindowError("first", ExportWindowRule.NON_NEGATIVE, `first must not be negative (1–${MAX_EXPORT_PAGE})`);
  if (first < 1) throw new InvalidWindowError("first", ExportWindowRule.MIN_SIZE, `first must be at least 1 (1–${MAX_EXPORT_PAGE})`);
  if (first > MAX_EXPORT_PAGE) throw new InvalidWindowError("first", ExportWindowRule.MAX_SIZE, `first must be at most ${MAX_EXPORT_PAGE}`);
  const start = args.after == null ? 0 : Math.min(totalCount, afterOffset(args.after, binding) + 1);
  return { start, end: Math.min(totalCount, start + first), totalCount, binding };
}

/** Relay page info and edge cursors of a window. */
export function windowPageInfo(window: ExportWindow): { hasPreviousPage: boolean; hasNextPage: boolean; startCursor: string | null; endCursor: string | null } {
  const empty = window.end <= window.start;
  return {
    hasPreviousPage: window.start > 0,
    hasNextPage: window.end < window.totalCount,
    startCursor: empty ? null : encodeExportCursor(window.start, window.binding),
    endCursor: empty ? null : encodeExportCursor(window.end - 1, window.binding),
  };
}

function afterOffset(cursor: string, binding: string): number {
  const payload = BASE64URL.test(cursor) ? parseJson(Buffer.from(cursor, "base64url").toString("utf8")) : null;
  if (!isCursorPayload(payload)) throw new InvalidWindowError("after", ExportWindowRule.CURSOR_FORMAT, "after: not a cursor this gateway issued");
  if (payload.b !== binding) {
    throw new InvalidWindowError(
      "after",
      ExportWindowRule.CURSOR_MISMATCH,
      "after: this cursor was issued by another list (another series, sheet or connection); use a cursor of this one",
    );
  }
  return payload.o;
}

interface CursorPayload {
  v: number;
  o: number;
  b?: unknown;
}

/** Any cursor this gateway issues (ours, or the task list's): a version and an offset. */
function isCursorPayload(value: unknown): value is CursorPayload {
  if (typeof value !== "object" || value === null) return false;
  const { v, o } = value as Record<string, unknown>;
  return (v === 1 || v === 2) && typeof o === "number" && Number.isSafeInteger(o) && o >= 0;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
