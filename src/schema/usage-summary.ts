/** `UsageSummary`: a usage series summed up over the same span and domain as its points. */
import type { UsageSummary as UsageSummaryValue } from "../exports/usage-series.js";
import { nullIfNaN } from "../resolvers/export-usage.js";
import { formatUtcSeconds } from "../resolvers/date-time.js";
import { builder } from "./builder.js";
import "./scalars.js";

export const UsageSummary = builder.objectRef<UsageSummaryValue>("UsageSummary").implement({
  description: "The series summed up. Null values: the file has no such column, or no row in the span.",
  fields: (t) => ({
    trafficBytes: t.float({ nullable: true, description: "Sum of the traffic, bytes.", resolve: (s) => nullIfNaN(s.trafficBytes) }),
    requests: t.float({ nullable: true, description: "Sum of the requests.", resolve: (s) => nullIfNaN(s.requests) }),
    peakBandwidthBps: t.float({ nullable: true, description: "Highest 5-minute bandwidth, bits per second.", resolve: (s) => nullIfNaN(s.peakBandwidthBps) }),
    peakAt: t.field({ type: "DateTime", nullable: true, description: "Start of the 5-minute slot of the peak (the earliest on a tie).", resolve: (s) => (s.peakAt === null ? null : formatUtcSeconds(s.peakAt)) }),
    p95BandwidthBps: t.float({
      nullable: true,
      description: "95th percentile of the 5-minute bandwidth values: sorted ascending, the value at index ceil(0.95·n)−1.",
      resolve: (s) => nullIfNaN(s.p95BandwidthBps),
    }),
  }),
});
