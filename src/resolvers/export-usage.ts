/**
 * `ExportTask.usage` and `UsageSeries.points` (design.md "Export contents"): the series is
 * computed once per field from the parsed export (exports/usage-series.ts: sums, the highest
 * 5-minute bandwidth per bucket, p95), and pages of its points are views of it.
 */
import type { RequestContext } from "../context.js";
import { encodeExportCursor, exportListBinding, exportWindow, windowPageInfo, type ExportWindowArgs } from "../exports/export-window.js";
import { usageSeries, type UsageSeries } from "../exports/usage-series.js";
import type { UsageKind } from "../exports/usage-table.js";
import type { UpstreamTask } from "../upstream/types.js";
import { parsedExportOf } from "./export-files.js";
import { toGatewayError, withUpstreamErrors } from "./upstream-errors.js";
import { checkDomain, usageQueryOf, type UsageArgs } from "./usage-query.js";

/** What `UsageSeries` resolves from: the series and the binding of its points' cursors. */
export interface UsageSeriesView {
  series: UsageSeries;
  binding: string;
}

export interface UsagePointValue {
  /** Bucket start, epoch ms. */
  time: number;
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
    const series = usageSeries(parsed.usage, query);
    const binding = exportListBinding("usage.points", task.kind, task.taskId, query.domain ?? null, series.from, series.to, query.interval, query.timeZone);
    return Promise.resolve({ series, binding });
  });
}

export function usagePoints(view: UsageSeriesView, args: ExportWindowArgs): Connection<UsagePointValue> {
  const { points } = view.series;
  const window = pageOf(args, view.binding, points.times.length);
  const edges: Connection<UsagePointValue>["edges"] = [];
  for (let i = window.start; i < window.end; i++) {
    edges.push({
      cursor: encodeExportCursor(i, view.binding),
      node: { time: points.times[i] ?? 0, trafficBytes: at(points.trafficBytes, i), bandwidthBps: at(points.bandwidthBps, i), requests: at(points.requests, i) },
    });
  }
  return { edges, pageInfo: windowPageInfo(window), totalCount: window.totalCount };
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
