/** `UsageSeries`: the usage behind a finished usage-detail export, bucketed for a chart. */
import { MAX_EXPORT_PAGE } from "../exports/export-window.js";
import { USAGE_TYPE_WORDS, usagePoints, type UsageSeriesView } from "../resolvers/export-usage.js";
import { formatUtcSeconds } from "../resolvers/date-time.js";
import { builder } from "./builder.js";
import { UsageInterval, UsageType } from "./enums.js";
import "./scalars.js";
import { UsagePointConnection } from "./usage-point.js";
import { UsageSummary } from "./usage-summary.js";

export const UsageSeries = builder.objectRef<UsageSeriesView>("UsageSeries").implement({
  description:
    "Usage over time from an export's file. Without a domain, each 5-minute slot is summed over all domains first. " +
    "A bucket sums traffic and requests over its slots; its bandwidth is the highest 5-minute value inside it.",
  fields: (t) => ({
    usageType: t.field({ type: UsageType, description: "FLOW (traffic and bandwidth) or VAS (requests).", resolve: (v) => USAGE_TYPE_WORDS[v.series.usageType] }),
    interval: t.field({ type: UsageInterval, resolve: (v) => v.series.interval }),
    domains: t.stringList({ description: "Every domain in the file, sorted (lower case).", resolve: (v) => [...v.series.domains] }),
    from: t.field({ type: "DateTime", description: "Start of the span covered, after the from/to filters.", resolve: (v) => formatUtcSeconds(v.series.from) }),
    to: t.field({ type: "DateTime", description: "End of the span covered (exclusive).", resolve: (v) => formatUtcSeconds(v.series.to) }),
    points: t.field({
      type: UsagePointConnection,
      description: `The buckets in time order, oldest first. first at most ${MAX_EXPORT_PAGE} (default ${MAX_EXPORT_PAGE}).`,
      args: {
        first: t.arg.int({ description: `1–${MAX_EXPORT_PAGE}` }),
        after: t.arg.string({ description: "A cursor of this series' points." }),
      },
      resolve: (v, args) => usagePoints(v, args),
    }),
    summary: t.field({ type: UsageSummary, description: "Covers the same span and domain as the points.", resolve: (v) => v.series.summary }),
  }),
});
