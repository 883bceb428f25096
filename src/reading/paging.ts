/**
 * The upstream pages its task lists by PageNumber/PageSize, newest first. The gateway speaks of
 * absolute, 0-based offsets into that order; these are the limits and the arithmetic between the
 * two. No I/O here.
 */

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

/** A half-open range of offsets `[start, end)`. */
export interface OffsetRange {
  start: number;
  end: number;
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

/** The page holding `offset`. */
export function pageOfOffset(offset: number, pageSize: number = LOADER_PAGE_SIZE): number {
  return Math.floor(Math.max(0, offset) / pageSize) + 1;
}

/** Absolute offset of the first item on a page. */
export function pageStartOffset(pageNumber: number, pageSize: number = LOADER_PAGE_SIZE): number {
  return (pageNumber - 1) * pageSize;
}

/** Number of pages a list of `totalCount` items spans. */
export function pageCount(totalCount: number, pageSize: number = LOADER_PAGE_SIZE): number {
  return Math.min(Math.ceil(totalCount / pageSize), MAX_PAGE_NUMBER);
}
