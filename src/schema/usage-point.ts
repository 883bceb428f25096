/** `UsagePoint`, one bucket of a usage series, and its connection (`UsagePointConnection`). */
import type { UsagePointValue } from "../resolvers/export-usage.js";
import { builder } from "./builder.js";
import "./scalars.js";

export const UsagePoint = builder.objectRef<UsagePointValue>("UsagePoint").implement({
  description: "One bucket of a usage series. Null values: the file has no such column (requests in a FLOW export), or no row in the bucket.",
  fields: (t) => ({
    time: t.field({ type: "DateTime", description: "Start of the bucket (UTC).", resolve: (point) => point.time }),
    trafficBytes: t.float({ nullable: true, description: "Traffic in the bucket, bytes (sum of its 5-minute slots).", resolve: (point) => point.trafficBytes }),
    bandwidthBps: t.float({ nullable: true, description: "Highest 5-minute bandwidth in the bucket, bits per second.", resolve: (point) => point.bandwidthBps }),
    requests: t.float({ nullable: true, description: "Requests in the bucket (sum of its 5-minute slots).", resolve: (point) => point.requests }),
  }),
});

export const UsagePointConnection = builder.connectionObject(
  {
    type: UsagePoint,
    name: "UsagePointConnection",
    fields: (c) => ({ totalCount: c.int({ description: "Buckets in the series.", resolve: (connection) => (typeof connection.totalCount === "function" ? connection.totalCount() : connection.totalCount) }) }),
  },
  { name: "UsagePointEdge" },
);
