/**
 * The parsed form of a usage-detail export, kept per finished export: columns, not objects per
 * row. One shared, sorted axis of slot times, and per domain and measure a Float64Array of
 * values on that axis (NaN where the file has no row). A 31-day, 100-domain flow file
 * (892,800 rows) is 100 × 8,928 × 2 × 8 bytes ≈ 14 MB: 16 bytes a row, plus the axis.
 */
import type { Measure } from "./header-table.js";
import { ownString } from "./raw-column.js";

export type UsageKind = "FLOW" | "VAS";

export interface UsageTable {
  /** FLOW when the file has traffic or bandwidth, VAS when it has requests only. */
  readonly usageType: UsageKind;
  /** Every domain in the file, lower case, sorted. */
  readonly domains: readonly string[];
  /** Distinct slot start times (epoch ms, UTC), ascending. */
  readonly times: Float64Array;
  /** Per measure: null when the file has no such column, else one array per domain (order of `domains`). */
  readonly values: Readonly<Record<Measure, readonly Float64Array[] | null>>;
  /** Data rows read from the file. */
  readonly rowCount: number;
  /** Bytes held (arrays and strings), for the cache's budget. */
  readonly byteSize: number;
}

/** Values a growable column starts with; it doubles as rows come. */
const INITIAL_CAPACITY = 1024;

class GrowableColumn {
  #data = new Float64Array(INITIAL_CAPACITY);
  length = 0;

  push(value: number): void {
    if (this.length === this.#data.length) {
      const grown = new Float64Array(this.#data.length * 2);
      grown.set(this.#data);
      this.#data = grown;
    }
    this.#data[this.length++] = value;
  }

  view(): Float64Array {
    return this.#data.subarray(0, this.length);
  }
}

/** One domain's rows as they come; the reader holds on to it rather than look it up per row. */
export interface DomainRows {
  times: GrowableColumn;
  values: Record<Measure, GrowableColumn | null>;
}

/** Collects rows as they stream in; `finish()` lays them on one time axis. */
export class UsageTableBuilder {
  readonly #byDomain = new Map<string, DomainRows>();
  readonly #measures: Record<Measure, boolean>;
  #rows = 0;

  constructor(measures: Readonly<Record<Measure, boolean>>) {
    this.#measures = { ...measures };
  }

  /** Another sheet of the same file may add a measure the first did not have. */
  addMeasures(measures: Readonly<Record<Measure, boolean>>): void {
    for (const measure of ["traffic", "bandwidth", "requests"] as const) {
      if (!measures[measure] || this.#measures[measure]) continue;
      this.#measures[measure] = true;
      for (const rows of this.#byDomain.values()) rows.values[measure] = filledColumn(rows.times.length);
    }
  }

  /** The rows of `domain` (lower case), made on first use. */
  rowsOf(domain: string): DomainRows {
    let rows = this.#byDomain.get(domain);
    if (rows === undefined) {
      rows = {
        times: new GrowableColumn(),
        values: {
          traffic: this.#measures.traffic ? new GrowableColumn() : null,
          bandwidth: this.#measures.bandwidth ? new GrowableColumn() : null,
          requests: this.#measures.requests ? new GrowableColumn() : null,
        },
      };
      // Kept for good: a copy of its own, not a slice holding the parser's chunk (raw-column.ts).
      this.#byDomain.set(ownString(domain), rows);
    }
    return rows;
  }

  add(rows: DomainRows, time: number, traffic: number, bandwidth: number, requests: number): void {
    rows.times.push(time);
    rows.values.traffic?.push(traffic);
    rows.values.bandwidth?.push(bandwidth);
    rows.values.requests?.push(requests);
    this.#rows += 1;
  }

  get rowCount(): number {
    return this.#rows;
  }

  finish(): UsageTable {
    const domains = [...this.#byDomain.keys()].sort();
    const perDomain = domains.map((domain) => this.#byDomain.get(domain) as DomainRows);
    const times = timeAxis(perDomain.map((rows) => rows.times.view()));
    const values: Record<Measure, Float64Array[] | null> = { traffic: null, bandwidth: null, requests: null };
    let byteSize = times.byteLength + domains.reduce((sum, domain) => sum + 2 * domain.length + 64, 0);
    for (const measure of ["traffic", "bandwidth", "requests"] as const) {
      if (!this.#measures[measure]) continue;
      values[measure] = perDomain.map((rows) => onAxis(times, rows.times.view(), rows.values[measure]?.view() ?? null));
      byteSize += times.byteLength * domains.length;
    }
    const usageType: UsageKind = this.#measures.traffic || this.#measures.bandwidth ? "FLOW" : "VAS";
    return { usageType, domains, times, values, rowCount: this.#rows, byteSize };
  }
}

function filledColumn(length: number): GrowableColumn {
  const column = new GrowableColumn();
  for (let i = 0; i < length; i++) column.push(Number.NaN);
  return column;
}

/** The sorted distinct times of all domains; the common case (every domain, every slot) is one copy. */
function timeAxis(columns: readonly Float64Array[]): Float64Array {
  const first = columns[0];
  if (first === undefined) return new Float64Array(0);
  if (isStrictlyAscending(first) && columns.every((column) => sameValues(column, first))) return Float64Array.from(first);
  let total = 0;
  for (const column of columns) total += column.length;
  const all = new Float64Array(total);
  let at = 0;
  for (const column of columns) {
    all.set(column, at);
    at += column.length;
  }
  all.sort();
  let distinct = 0;
  for (let i = 0; i < all.length; i++) {
    if (i === 0 || all[i] !== all[distinct - 1]) all[distinct++] = all[i] ?? 0;
  }
  return all.slice(0, distinct);
}

/** A domain's values laid on the axis: NaN where it has no row; rows of one slot add up. */
function onAxis(axis: Float64Array, times: Float64Array, values: Float64Array | null): Float64Array {
  const out = new Float64Array(axis.length).fill(Number.NaN);
  if (values === null) return out;
  let hint = 0;
  for (let i = 0; i < times.length; i++) {
    const time = times[i] ?? 0;
    // Rows come in time order: the next slot is almost always the one after the last.
    const index = axis[hint] === time ? hint : binarySearch(axis, time);
    hint = index + 1;
    const value = values[i] ?? Number.NaN;
    if (Number.isNaN(value)) continue;
    const held = out[index] ?? Number.NaN;
    out[index] = Number.isNaN(held) ? value : held + value;
  }
  return out;
}

function binarySearch(axis: Float64Array, time: number): number {
  let low = 0;
  let high = axis.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((axis[mid] ?? 0) < time) low = mid + 1;
    else high = mid;
  }
  return low;
}

function isStrictlyAscending(column: Float64Array): boolean {
  for (let i = 1; i < column.length; i++) if ((column[i] ?? 0) <= (column[i - 1] ?? 0)) return false;
  return true;
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
