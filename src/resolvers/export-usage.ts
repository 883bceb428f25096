/**
 * `ExportTask.usage` and `UsageSeries.points` (design.md "Export contents"): the series is
 * computed from the parsed export (exports/usage-series.ts: sums, the highest 5-minute
 * bandwidth per bucket, p95) once per export and query — a dashboard asks the same one again
 * and again — and pages of its points are views of it.
 */
import { LRUCache } from "lru-cache";
import type { RequestContext } from "../context.js";
import { encodeExportCursor, exportListBinding, exportWindow, windowPageInfo, type ExportWindowArgs } from "../exports/export-window.js";
import { usageSeries, type UsageQuery, type UsageSeries } from "../exports/usage-series.js";
import type { UsageKind, UsageTable } from "../exports/usage-table.js";
import type { UpstreamTask } from "../upstream/types.js";
import { formatUtcSeconds } from "./date-time.js";
import { parsedExportOf } from "./export-files.js";
import { toGatewayError, withUpstreamErrors } from "./upstream-errors.js";
import { checkDomain, usageQueryOf, type UsageArgs } from "./usage-query.js";

/** What `UsageSeries` resolves from: the series, its bucket times as text, and the binding of its points' cursors. */
export interface UsageSeriesView {
  series: UsageSeries;
  times: readonly string[];
  binding: string;
}

export interface UsagePointValue {
  /** Bucket start (DateTime text). */
  time: string;
  trafficBytes: number | null;
  bandwidthBps: number | null;
  requests: number | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/** The upstream's own words for the usage type (the UsageType enum's values). */
export const USAGE_TYPE_WORDS: Readonly<Record<UsageKind, "flow" | "vas">> = { FLOW: "flow", VAS: "vas" };

/** null for a task without a readable file (not USAGE_DETAIL, or not SUCCESS): no error. */
export async function resolveUsage(ctx: RequestContext, task: UpstreamTask, args: UsageArgs): Promise<UsageSeriesView | null> {
  // Arguments are checked first: a bad one is refused whatever the task.
  const query = usageQueryOf(args);
  const parsed = await parsedExportOf(ctx, task);
  if (parsed === null) return null;
  return withUpstreamErrors(() => {
    checkDomain(parsed.usage, query);
    const { series, times } = seriesOf(parsed.usage, query);
    const binding = exportListBinding("usage.points", task.kind, task.taskId, query.domain ?? null, series.from, series.to, query.interval, query.timeZone);
    return Promise.resolve({ series, times, binding });
  });
}

/** Series kept per parsed export, the most recently asked first out last. */
const SERIES_PER_EXPORT = 32;
const seriesMemo = new WeakMap<UsageTable, LRUCache<string, { series: UsageSeries; times: string[] }>>();

function seriesOf(table: UsageTable, query: UsageQuery): { series: UsageSeries; times: string[] } {
  let memo = seriesMemo.get(table);
  if (memo === undefined) {
    memo = new LRUCache({ max: SERIES_PER_EXPORT });
    seriesMemo.set(table, memo);
  }
  const key = JSON.stringify([query.domain ?? null, query.from ?? null, query.to ?? null, query.interval, query.timeZone]);
  let held = memo.get(key);
  if (held === undefined) {
    const series = usageSeries(table, query);
    held = { series, times: Array.from(series.points.times, formatUtcSeconds) };
    memo.set(key, held);
  }
  return held;
}

export function usagePoints(view: UsageSeriesView, args: ExportWindowArgs): Connection<UsagePointValue> {
  const { points } = view.series;
  const window = pageOf(args, view.binding, points.times.length);
  const edges: Connection<UsagePointValue>["edges"] = [];
  for (let i = window.start; i < window.end; i++) {
    const node = { time: view.times[i] ?? "", trafficBytes: at(points.trafficBytes, i), bandwidthBps: at(points.bandwidthBps, i), requests: at(points.requests, i) };
    edges.push(new ExportEdge(i, view.binding, node));
  }
  return { edges, pageInfo: windowPageInfo(window), totalCount: window.totalCount };
}

/** An edge whose cursor is made only when a client asks for it (charts seldom do, per point). */
export class ExportEdge<T> {
  constructor(
    readonly offset: number,
    readonly binding: string,
    readonly node: T,
  ) {}

  get cursor(): string {
    return encodeExportCursor(this.offset, this.binding);
  }
}

/** The page the arguments ask for; refused arguments are BAD_USER_INPUT. */
export function pageOf(args: ExportWindowArgs, binding: string, totalCount: number): ReturnType<typeof exportWindow> {
  try {
    return exportWindow(args, binding, totalCount);
  } catch (error) {
    throw toGatewayError(error);
  }
}

/** A value for clients: null when the file has no such column or no row for the bucket. */
export function nullIfNaN(value: number | null | undefined): number | null {
  return value === null || value === undefined || Number.isNaN(value) ? null : value;
}

function at(values: Float64Array | null, index: number): number | null {
  return values === null ? null : nullIfNaN(values[index]);
}
