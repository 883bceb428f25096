/**
 * Usage as CSV for spreadsheets and scripts (design.md "Export contents"):
 * `time,domain,traffic_bytes,bandwidth_bps,requests`, one line per domain and bucket, or one
 * per bucket with an empty domain when summed over domains. Streamed: lines are made bucket by
 * bucket from the parsed columns and written in chunks that wait for the reader, so a 31-day,
 * 100-domain file (~900k lines) costs no more memory than a small one. Buckets follow the same
 * rules as `usage` (usage-series.ts): sums, and the highest 5-minute bandwidth in a bucket.
 */
import type { Writable } from "node:stream";
import type { Measure } from "./header-table.js";
import { bucketBounds, slotSpan, type UsageQuery } from "./usage-series.js";
import type { UsageTable } from "./usage-table.js";
import { ZoneClock } from "./zoned-time.js";

export const CSV_HEADER = "time,domain,traffic_bytes,bandwidth_bps,requests\n";
/** Text gathered before one write: large enough to keep syscalls few, small enough to stream. */
const CHUNK_CHARS = 64 * 1024;

export interface UsageCsvQuery extends UsageQuery {
  /** Without `domain`: `each` writes one line per domain and bucket, `summed` one per bucket. Default `each`. */
  domains?: "each" | "summed";
}

interface CsvSeries {
  /** The `domain` field ("" when summed). */
  label: string;
  values: Readonly<Record<Measure, Float64Array | null>>;
}

/** Writes the CSV to `out` (not ending it); stops early when `signal` aborts or `out` closes. */
export async function writeUsageCsv(table: UsageTable, query: UsageCsvQuery, out: Writable, signal?: AbortSignal): Promise<void> {
  const clock = new ZoneClock(query.timeZone);
  const series: CsvSeries[] = [];
  let span = slotSpan(table, query);
  if (query.domain != null || query.domains === "summed") {
    series.push({ label: query.domain == null ? "" : csvField(query.domain.trim().toLowerCase()), values: span.values });
  } else {
    for (const domain of table.domains) {
      span = slotSpan(table, { ...query, domain });
      series.push({ label: csvField(domain), values: span.values });
    }
  }
  const slotTimes = table.times.subarray(span.start, span.start + span.length);
  const { starts, firstSlot } = bucketBounds(slotTimes, span.from, query.interval, clock);

  let chunk = CSV_HEADER;
  for (let b = 0; b < starts.length; b++) {
    const time = `${new Date(starts[b] ?? 0).toISOString().slice(0, 19)}Z`;
    const first = firstSlot[b] ?? 0;
    const end = firstSlot[b + 1] ?? first;
    for (const { label, values } of series) {
      chunk += `${time},${label},${field(values.traffic, first, end, false)},${field(values.bandwidth, first, end, true)},${field(values.requests, first, end, false)}\n`;
    }
    if (chunk.length >= CHUNK_CHARS) {
      if (!(await write(out, chunk, signal))) return;
      chunk = "";
    }
  }
  if (chunk.length > 0) await write(out, chunk, signal);
}

/** A bucket's value as CSV text: the sum (or the highest, for bandwidth) of the values present; "" for none. */
function field(values: Float64Array | null, first: number, end: number, highest: boolean): string {
  if (values === null) return "";
  if (end === first + 1) {
    // A 5-minute bucket is one slot: its value as it is (the common case, ~900k lines).
    const value = values[first] ?? Number.NaN;
    return Number.isNaN(value) ? "" : decimal(value);
  }
  let acc = Number.NaN;
  for (let i = first; i < end; i++) {
    const value = values[i] ?? Number.NaN;
    if (Number.isNaN(value)) continue;
    acc = Number.isNaN(acc) ? value : highest ? Math.max(acc, value) : acc + value;
  }
  return Number.isNaN(acc) ? "" : decimal(acc);
}

/**
 * `String(value)`, faster for the whole numbers usage is made of: V8 writes small integers on a
 * fast path and large doubles on a slow one, so a byte count past 2³¹ is written as two small
 * integers (billions, and the nine digits below). The CSV writes ~1.8M numbers for a large export.
 */
export function decimal(value: number): string {
  if (value >= 0 && value <= 0x7fffffff && Math.floor(value) === value) return String(value | 0);
  if (value > 0 && Number.isSafeInteger(value)) {
    const high = Math.floor(value / 1e9);
    return `${high}${String(value - high * 1e9).padStart(9, "0")}`;
  }
  return String(value);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Writes one chunk, waiting for the reader when the stream is full; false when writing should stop. */
async function write(out: Writable, chunk: string, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted || out.destroyed || out.writableEnded) return false;
  if (out.write(chunk)) return true;
  // Writing may have ended things already (a sink that fails or aborts at once).
  if (signal?.aborted || out.destroyed) return false;
  return new Promise<boolean>((resolve) => {
    const settle = (ok: boolean) => () => {
      out.off("drain", drained);
      out.off("close", gone);
      out.off("error", gone);
      signal?.removeEventListener("abort", gone);
      resolve(ok);
    };
    const drained = settle(true);
    // The reader went away (closed, failed, or the caller gave up): nothing more to write.
    const gone = settle(false);
    out.once("drain", drained);
    out.once("close", gone);
    out.once("error", gone);
    signal?.addEventListener("abort", gone, { once: true });
  });
}
