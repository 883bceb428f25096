/**
 * Usage over time from a parsed export (design.md "Export contents"): points per five minutes,
 * hour or day in an IANA zone, and a summary over the same span and domain.
 *
 * Rules: without a domain each 5-minute slot is first summed over all domains. A bucket sums
 * traffic and requests over its slots; its bandwidth is the highest 5-minute value inside it.
 * Buckets start at `from` rounded down to the interval in `timeZone`; a bucket's time is its
 * start (UTC). The summary sums traffic and requests, takes the highest 5-minute bandwidth and
 * the start of its slot (the earliest on a tie), and the 95th percentile of the 5-minute
 * bandwidth values: sorted ascending, the value at index ceil(0.95·n)−1. NaN (null to a client)
 * means no value: the file has no such column, or no row for that time.
 */
import type { Measure } from "./header-table.js";
import type { UsageKind, UsageTable } from "./usage-table.js";
import { FIVE_MINUTES_MS, ZoneClock, type UsageInterval } from "./zoned-time.js";

export interface UsageQuery {
  /** One domain (compared case-insensitively); null or absent: all domains, summed per slot. */
  domain?: string | null;
  /** Epoch ms; slots at or after it. */
  from?: number | null;
  /** Epoch ms; slots before it. */
  to?: number | null;
  interval: UsageInterval;
  /** IANA zone of the buckets; `new ZoneClock` refuses an unknown one with RangeError. */
  timeZone: string;
}

export interface UsagePoints {
  /** Bucket starts, epoch ms UTC, ascending. */
  readonly times: Float64Array;
  /** Per measure, one value per bucket (NaN: none); null when the file has no such column. */
  readonly trafficBytes: Float64Array | null;
  readonly bandwidthBps: Float64Array | null;
  readonly requests: Float64Array | null;
}

export interface UsageSummary {
  trafficBytes: number | null;
  requests: number | null;
  peakBandwidthBps: number | null;
  /** Start of the peak's 5-minute slot, epoch ms. */
  peakAt: number | null;
  p95BandwidthBps: number | null;
}

export interface UsageSeries {
  usageType: UsageKind;
  interval: UsageInterval;
  domains: readonly string[];
  /** The span covered after the from/to filters, epoch ms (`to` exclusive). */
  from: number;
  to: number;
  points: UsagePoints;
  summary: UsageSummary;
}

/** The slots of a span, per measure: one domain's values, or every domain's summed. */
export interface SlotSpan {
  /** Index of the first slot in `table.times`, and how many. */
  start: number;
  length: number;
  from: number;
  to: number;
  values: Readonly<Record<Measure, Float64Array | null>>;
}

/** The slots a query covers; `domain` unknown to the file gives a span with no slots. */
export function slotSpan(table: UsageTable, query: Pick<UsageQuery, "domain" | "from" | "to">): SlotSpan {
  const times = table.times;
  const first = times[0] ?? 0;
  const last = times.length === 0 ? first : (times[times.length - 1] ?? first) + FIVE_MINUTES_MS;
  const from = Math.max(query.from ?? first, first);
  const to = Math.max(from, Math.min(query.to ?? last, last));
  let start = lowerBound(times, from);
  let end = lowerBound(times, to);
  const domainIndex = query.domain == null ? -1 : table.domains.indexOf(query.domain.trim().toLowerCase());
  if (query.domain != null && domainIndex === -1) end = start = 0;
  const values: Record<Measure, Float64Array | null> = { traffic: null, bandwidth: null, requests: null };
  for (const measure of ["traffic", "bandwidth", "requests"] as const) {
    const columns = table.values[measure];
    if (columns === null) continue;
    const column = domainIndex >= 0 ? columns[domainIndex] : totalsOf(table, measure);
    values[measure] = (column ?? new Float64Array(0)).subarray(start, end);
  }
  return { start, length: end - start, from, to, values };
}

export function usageSeries(table: UsageTable, query: UsageQuery): UsageSeries {
  const clock = new ZoneClock(query.timeZone);
  const span = slotSpan(table, query);
  const slotTimes = table.times.subarray(span.start, span.start + span.length);
  const bounds = bucketBounds(slotTimes, span.from, query.interval, clock);
  const count = bounds.starts.length;
  const bucket = (values: Float64Array | null, combine: (a: number, b: number) => number): Float64Array | null => {
    if (values === null) return null;
    const out = new Float64Array(count).fill(Number.NaN);
    for (let b = 0; b < count; b++) {
      let acc = Number.NaN;
      for (let i = bounds.firstSlot[b] ?? 0, end = bounds.firstSlot[b + 1] ?? 0; i < end; i++) {
        const value = values[i] ?? Number.NaN;
        if (!Number.isNaN(value)) acc = Number.isNaN(acc) ? value : combine(acc, value);
      }
      out[b] = acc;
    }
    return out;
  };
  return {
    usageType: table.usageType,
    interval: query.interval,
    domains: table.domains,
    from: span.from,
    to: span.to,
    points: {
      times: bounds.starts,
      trafficBytes: bucket(span.values.traffic, add),
      bandwidthBps: bucket(span.values.bandwidth, Math.max),
      requests: bucket(span.values.requests, add),
    },
    summary: summarize(span, slotTimes),
  };
}

/**
 * Bucket starts from `from` rounded down in the zone, and for each bucket the index of its
 * first slot (`firstSlot[count]` ends the last). Only buckets up to the last slot are made.
 */
export function bucketBounds(slotTimes: Float64Array, from: number, interval: UsageInterval, clock: ZoneClock): { starts: Float64Array; firstSlot: Int32Array } {
  const starts: number[] = [];
  const firstSlot: number[] = [];
  const lastSlot = slotTimes[slotTimes.length - 1];
  if (lastSlot !== undefined) {
    let start = clock.startOf(from, interval);
    let index = 0;
    while (start <= lastSlot) {
      const next = clock.next(start, interval);
      starts.push(start);
      firstSlot.push(index);
      while (index < slotTimes.length && (slotTimes[index] ?? 0) < next) index++;
      start = next;
    }
    firstSlot.push(index);
  }
  return { starts: Float64Array.from(starts), firstSlot: Int32Array.from(firstSlot.length === 0 ? [0] : firstSlot) };
}

function summarize(span: SlotSpan, slotTimes: Float64Array): UsageSummary {
  const bandwidth = span.values.bandwidth;
  let peak = Number.NaN;
  let peakAt: number | null = null;
  let p95: number | null = null;
  if (bandwidth !== null) {
    const present: number[] = [];
    for (let i = 0; i < bandwidth.length; i++) {
      const value = bandwidth[i] ?? Number.NaN;
      if (Number.isNaN(value)) continue;
      present.push(value);
      if (Number.isNaN(peak) || value > peak) {
        peak = value;
        peakAt = slotTimes[i] ?? null;
      }
    }
    if (present.length > 0) {
      const sorted = Float64Array.from(present).sort();
      p95 = sorted[Math.ceil(0.95 * sorted.length) - 1] ?? null;
    }
  }
  return {
    trafficBytes: total(span.values.traffic),
    requests: total(span.values.requests),
    peakBandwidthBps: Number.isNaN(peak) ? null : peak,
    peakAt,
    p95BandwidthBps: p95,
  };
}

/** Sum of the values present; null when the column is absent or holds none. */
function total(values: Float64Array | null): number | null {
  if (values === null) return null;
  let sum = 0;
  let any = false;
  for (const value of values) {
    if (Number.isNaN(value)) continue;
    sum += value;
    any = true;
  }
  return any ? sum : null;
}

/**
 * Every domain's values summed per slot, made once per table: a parsed export never changes,
 * and queries without a domain are the common ones (a few bytes per slot, not per row).
 */
const totals = new WeakMap<UsageTable, Partial<Record<Measure, Float64Array>>>();

function totalsOf(table: UsageTable, measure: Measure): Float64Array | undefined {
  const columns = table.values[measure];
  if (columns === null) return undefined;
  let held = totals.get(table);
  if (!held) {
    held = {};
    totals.set(table, held);
  }
  return (held[measure] ??= sumOverDomains(columns, table.times.length));
}

function sumOverDomains(columns: readonly Float64Array[], length: number): Float64Array {
  const out = new Float64Array(length).fill(Number.NaN);
  for (const column of columns) {
    for (let i = 0; i < length; i++) {
      const value = column[i] ?? Number.NaN;
      if (Number.isNaN(value)) continue;
      const sum = out[i] ?? Number.NaN;
      out[i] = Number.isNaN(sum) ? value : sum + value;
    }
  }
  return out;
}

function add(a: number, b: number): number {
  return a + b;
}

/** First index whose time is at or after `time`. */
function lowerBound(times: Float64Array, time: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((times[mid] ?? 0) < time) low = mid + 1;
    else high = mid;
  }
  return low;
}
