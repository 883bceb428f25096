/**
 * Relay windows over a filtered task list. The upstream cannot filter, so the gateway walks
 * its newest-first pages through the request's PageLoader (and so the page cache), keeping the
 * tasks that match, and stops as soon as it can:
 * - forward (`first`/`after`): once it holds one match more than the window (that one only
 *   says there is a next page), at the end of the list, at a `before` cursor, or at the first
 *   task older than `createdAfter` (every later task is older still);
 * - backward (`last`/`before`): once it holds one match more than the window, at an `after`
 *   cursor, at page 1, or at the first task at or after `createdBefore`;
 * - `last` without `before` needs the end of the filtered list: a forward walk to its end.
 * Cursors are those of the plain list (upstream offset + the edge's task, cursors.ts), so they
 * stay exact both ways and survive tasks created or deleted meanwhile (cursor-realign.ts).
 * `totalCount` is a walk of its own from page 1, run only when the field is selected.
 *
 * Pages are read in waves: first what the window would cover if every task matched (usually
 * what the cursor check read already), then doubling up to MAX_WAVE pages at once. With
 * `createdBefore`, the pages of newer tasks at the head are skipped by galloping and bisecting. One walk
 * reads at most `maxPages` pages (default DEFAULT_MAX_SCAN_PAGES, 100 pages = 5000 tasks, the
 * entity scan's bound): a walk that needs more is refused (BAD_USER_INPUT, rule
 * `filter-scan-limit`) rather than spending the deployment's upstream quota on one request;
 * `createdAfter` narrows it, and a forward walk continues from its last edge's cursor.
 */
import type { ExportKind, TaskPage, UpstreamTask } from "../upstream/types.js";
import { realignWindow } from "./cursor-realign.js";
import { DEFAULT_MAX_SCAN_PAGES } from "./entity-scan.js";
import type { PageLoader } from "./page-loader.js";
import { DEFAULT_WINDOW_SIZE, MAX_PAGE_NUMBER, pageCount, pageOfOffset, pageStartOffset } from "./paging.js";
import { InvalidWindowError, WindowRule, type WindowRequest } from "./relay-window.js";
import { isBeforeCreatedBefore, isPastCreatedAfter, matchesFilter, matchesNothing, type TaskFilter } from "./task-filter.js";
import type { WindowItem } from "./task-window.js";

/** Largest wave of pages read at once once the first wave is in. */
const MAX_WAVE = 8;

export interface FilteredWindow {
  items: WindowItem[];
  hasPreviousPage: boolean;
  hasNextPage: boolean;
  /** The upstream list's TotalCount as last read (what cursor anchors record). */
  upstreamTotal: number;
}

export interface FilterWalkOptions {
  /** Pages one walk may read (default DEFAULT_MAX_SCAN_PAGES). */
  maxPages?: number;
}

interface WalkPlan {
  /** First page to visit. */
  from: number;
  /** 1: towards older tasks (higher pages), -1: towards newer ones. */
  step: 1 | -1;
  /** Pages of the first wave. */
  firstWave: number;
  /** Every page up to the end will be needed (no early stop expected): read them at once. */
  greedy: boolean;
  maxPages: number;
}

function scanLimit(maxPages: number): InvalidWindowError {
  return new InvalidWindowError(
    "filter",
    WindowRule.FILTER_SCAN_LIMIT,
    `filter: this window needs more than ${maxPages} upstream pages (${maxPages * 50} tasks) read in one request; ` +
      "narrow it with filter.createdAfter, or continue from the last edge's cursor",
  );
}

/**
 * Visits pages in order from `plan.from` until `visit` returns false or the list ends, reading
 * them in waves. Throws the scan-limit refusal when more pages are needed than the plan allows.
 */
async function walkPages(
  pages: PageLoader,
  kind: ExportKind,
  plan: WalkPlan,
  visit: (pageNumber: number, page: TaskPage) => boolean,
): Promise<void> {
  let next = plan.from;
  let visited = 0;
  let wave = Math.max(plan.firstWave, 1);
  for (;;) {
    const total = pages.knownTotal(kind);
    const lastPage = total === undefined ? MAX_PAGE_NUMBER : Math.min(Math.max(pageCount(total, pages.pageSize), 1), MAX_PAGE_NUMBER);
    const remaining = plan.step === 1 ? lastPage - next + 1 : next;
    if (remaining <= 0) return;
    const budget = plan.maxPages - visited;
    // A walk that will read every page anyway fails before spending any of them.
    if (budget <= 0 || (plan.greedy && total !== undefined && remaining > budget)) throw scanLimit(plan.maxPages);
    const size = Math.min(plan.greedy && total !== undefined ? remaining : wave, remaining, budget);
    const numbers = Array.from({ length: size }, (_, i) => next + i * plan.step);
    const read = await pages.loadPages(kind, numbers);
    for (const [i, page] of read.entries()) {
      visited += 1;
      const pageNumber = numbers[i] ?? next;
      if (!visit(pageNumber, page)) return;
    }
    next += size * plan.step;
    wave = Math.min(visited, MAX_WAVE);
  }
}

/** True when `page` holds the last tasks of the list (nothing after it). */
function isLastPage(pageNumber: number, page: TaskPage, pageSize: number): boolean {
  return page.tasks.length < pageSize || pageStartOffset(pageNumber, pageSize) + page.tasks.length >= page.totalCount;
}

/** Sequential page reads one walk may spend skipping tasks newer than `createdBefore`. */
const MAX_SKIP_PROBES = 24;

/** Every task on the page was created at or after `createdBefore`: none of them can match. */
function allNewer(page: TaskPage, filter: TaskFilter): boolean {
  return page.tasks.length > 0 && page.tasks.every((task) => isBeforeCreatedBefore(task, filter));
}

/**
 * The first page from `from` on that may hold a task created before `createdBefore`. The list
 * is newest first, so the pages of newer tasks come first: gallop past them (1, 2, 4, … pages),
 * then bisect, instead of reading them all ("last month's exports" would otherwise walk this
 * month's). A page counts as skippable only when every task on it is newer.
 */
async function skipNewer(pages: PageLoader, kind: ExportKind, filter: TaskFilter, from: number): Promise<number> {
  if (filter.createdBeforeMs === null) return from;
  let probes = 0;
  const probe = async (pageNumber: number): Promise<boolean> => {
    probes += 1;
    return allNewer(await pages.load(kind, pageNumber), filter);
  };
  if (!(await probe(from))) return from;
  const lastPage = (): number => Math.max(pageCount(pages.knownTotal(kind) ?? 0, pages.pageSize), from);
  // Pages <= lo hold only newer tasks; hi is a page that does not (or one past the end).
  let lo = from;
  let hi = lastPage() + 1;
  for (let step = 1; lo + step < hi && probes < MAX_SKIP_PROBES; step *= 2) {
    const candidate = Math.min(lo + step, lastPage());
    if (await probe(candidate)) lo = candidate;
    else {
      hi = candidate;
      break;
    }
  }
  while (hi - lo > 1 && probes < MAX_SKIP_PROBES) {
    const middle = Math.floor((lo + hi) / 2);
    if (await probe(middle)) lo = middle;
    else hi = middle;
  }
  return lo + 1;
}

interface ForwardResult {
  items: WindowItem[];
  /** A match beyond `want` exists. */
  more: boolean;
}

/** Matches at offsets [start, end), newest first, at most `want` (+ whether more exist). */
async function walkForward(
  pages: PageLoader,
  kind: ExportKind,
  filter: TaskFilter,
  range: { start: number; end: number | null; want: number },
  maxPages: number,
): Promise<ForwardResult> {
  const { start, end, want } = range;
  const items: WindowItem[] = [];
  let more = false;
  const finite = Number.isFinite(want);
  // If every task matched, these pages would do: what the plain window reads (and the cursor
  // check has read already). With createdAfter the walk may stop on any page: one at a time.
  const firstWave =
    finite && filter.createdAfterMs === null ? pageOfOffset(Math.max(start + want - 1, start), pages.pageSize) - pageOfOffset(start, pages.pageSize) + 1 : 1;
  const from = await skipNewer(pages, kind, filter, pageOfOffset(start, pages.pageSize));
  const plan: WalkPlan = { from, step: 1, firstWave, greedy: !finite && filter.createdAfterMs === null, maxPages };
  await walkPages(pages, kind, plan, (pageNumber, page) => {
    const base = pageStartOffset(pageNumber, pages.pageSize);
    for (const [index, task] of page.tasks.entries()) {
      const offset = base + index;
      if (offset < start) continue;
      if ((end !== null && offset >= end) || isPastCreatedAfter(task, filter)) return false;
      if (!matchesFilter(task, filter)) continue;
      if (items.length >= want) {
        more = true;
        return false;
      }
      items.push({ offset, task });
    }
    return !isLastPage(pageNumber, page, pages.pageSize);
  });
  return { items, more };
}

/** Matches at offsets [start, end) closest to `end`, at most `want` (+ whether more exist), in list order. */
async function walkBackward(
  pages: PageLoader,
  kind: ExportKind,
  filter: TaskFilter,
  range: { start: number; end: number; want: number },
  maxPages: number,
): Promise<ForwardResult> {
  const { start, end, want } = range;
  const items: WindowItem[] = [];
  let more = false;
  if (end <= start) return { items, more };
  const from = pageOfOffset(end - 1, pages.pageSize);
  const firstWave = from - pageOfOffset(Math.max(end - want, 0), pages.pageSize) + 1;
  await walkPages(pages, kind, { from, step: -1, firstWave, greedy: false, maxPages }, (pageNumber, page) => {
    const base = pageStartOffset(pageNumber, pages.pageSize);
    for (let index = page.tasks.length - 1; index >= 0; index -= 1) {
      const task = page.tasks[index] as UpstreamTask;
      const offset = base + index;
      if (offset >= end) continue;
      if (offset < start || isBeforeCreatedBefore(task, filter)) return false;
      if (!matchesFilter(task, filter)) continue;
      if (items.length >= want) {
        more = true;
        return false;
      }
      items.push({ offset, task });
    }
    return pageNumber > 1 && base > start;
  });
  return { items: items.reverse(), more };
}

/** One window of the filtered list (cursors first re-pointed at their tasks' positions). */
export async function readFilteredWindow(
  pages: PageLoader,
  kind: ExportKind,
  filter: TaskFilter,
  cursorRequest: WindowRequest,
  options: FilterWalkOptions = {},
): Promise<FilteredWindow> {
  const maxPages = options.maxPages ?? DEFAULT_MAX_SCAN_PAGES;
  const upstreamTotal = (): number => pages.knownTotal(kind) ?? 0;
  if (matchesNothing(filter)) return { items: [], hasPreviousPage: false, hasNextPage: false, upstreamTotal: upstreamTotal() };
  const request = await realignWindow(pages, kind, cursorRequest);
  const { lowerBound: start, upperBound: end, first, last } = request;

  if (first === null && last !== null && end !== null) {
    const walked = await walkBackward(pages, kind, filter, { start, end, want: last }, maxPages);
    return { items: walked.items, hasPreviousPage: walked.more, hasNextPage: end < upstreamTotal(), upstreamTotal: upstreamTotal() };
  }
  // Relay order: `first` keeps the head, then `last` keeps its tail. `last` alone (no
  // `before`) needs the whole filtered list after `after`.
  const want = first ?? (last === null ? DEFAULT_WINDOW_SIZE : Number.POSITIVE_INFINITY);
  const walked = await walkForward(pages, kind, filter, { start, end, want }, maxPages);
  const trimmed = last !== null && walked.items.length > last;
  return {
    items: trimmed ? walked.items.slice(-last) : walked.items,
    hasPreviousPage: start > 0 || trimmed,
    hasNextPage: walked.more,
    upstreamTotal: upstreamTotal(),
  };
}

/** How many tasks of the list match: a walk from page 1 to the end or to `createdAfter`. */
export async function countFilteredTasks(pages: PageLoader, kind: ExportKind, filter: TaskFilter, options: FilterWalkOptions = {}): Promise<number> {
  if (matchesNothing(filter)) return 0;
  const maxPages = options.maxPages ?? DEFAULT_MAX_SCAN_PAGES;
  const walked = await walkForward(pages, kind, filter, { start: 0, end: null, want: Number.POSITIVE_INFINITY }, maxPages);
  return walked.items.length;
}
