/**
 * Wall clocks of IANA time zones, from the platform's own tz data (Intl): the offset at an
 * instant, the instant of a wall-clock time, and the start of the five-minute, hour or day
 * around an instant. Export files write times on a wall clock (EXPORT_FILE_TIME_ZONE) and
 * charts bucket by the viewer's day, so both directions are needed, fast: a 900k-row file
 * asks for every row, hence the memo per quarter hour.
 */

export type UsageInterval = "FIVE_MINUTES" | "HOUR" | "DAY";

export const MINUTE_MS = 60_000;
export const FIVE_MINUTES_MS = 5 * MINUTE_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * Offsets in use since 1970 are whole quarter hours and change at whole minutes of local time,
 * so an offset holds through each quarter hour of UTC: one look-up serves all of it.
 */
const QUARTER_HOUR_MS = 15 * MINUTE_MS;
/** No zone is further than this from UTC (Kiribati +14, Baker Island −12). */
const MAX_OFFSET_MS = 14 * HOUR_MS;
/** Memo entries per zone before it starts over (≈ 100 years of quarter hours would be 3.5M). */
const MAX_MEMO = 100_000;
/**
 * Zones whose memo is kept. Every ZoneClock of a zone shares its memo (a series asked for on
 * every request must not ask Intl again each time); past this many zones the oldest memo goes.
 */
const MAX_MEMO_ZONES = 16;
const memos = new Map<string, Map<number, number>>();

function memoFor(timeZone: string): Map<number, number> {
  let memo = memos.get(timeZone);
  if (memo === undefined) {
    if (memos.size >= MAX_MEMO_ZONES) {
      const oldest = memos.keys().next();
      if (!oldest.done) memos.delete(oldest.value);
    }
    memo = new Map();
    memos.set(timeZone, memo);
  }
  return memo;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    // Throws RangeError for a name the platform does not know.
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** Whether `name` is an IANA zone (or alias) the platform knows: `Asia/Shanghai`, `UTC`. */
export function isKnownTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  try {
    formatFor(name);
    return true;
  } catch {
    return false;
  }
}

/** One zone's clock; `new ZoneClock("Mars/Olympus")` throws RangeError. */
export class ZoneClock {
  readonly #format: Intl.DateTimeFormat;
  readonly #offsets: Map<number, number>;

  constructor(readonly timeZone: string) {
    this.#format = formatFor(timeZone);
    this.#offsets = memoFor(timeZone);
  }

  /** Milliseconds to add to UTC for the wall clock at `utcMs`. */
  offsetAt(utcMs: number): number {
    const quarter = Math.floor(utcMs / QUARTER_HOUR_MS);
    let offset = this.#offsets.get(quarter);
    if (offset === undefined) {
      offset = this.#computeOffset(quarter * QUARTER_HOUR_MS);
      if (this.#offsets.size >= MAX_MEMO) this.#offsets.clear();
      this.#offsets.set(quarter, offset);
    }
    return offset;
  }

  /** The wall clock at `utcMs`, as epoch ms read as if it were UTC. */
  wallAt(utcMs: number): number {
    return utcMs + this.offsetAt(utcMs);
  }

  /**
   * The instant a wall-clock time (epoch ms read as UTC) names. A time that occurs twice (clocks
   * going back) is the earlier; one that never occurs (clocks going forward) moves forward by
   * the gap, as Temporal's "compatible" disambiguation does.
   */
  toUtc(wallMs: number): number {
    const before = this.offsetAt(wallMs - MAX_OFFSET_MS);
    const after = this.offsetAt(wallMs + MAX_OFFSET_MS);
    const early = wallMs - before;
    if (before === after) return early;
    const late = wallMs - after;
    const earlyValid = this.offsetAt(early) === before;
    const lateValid = this.offsetAt(late) === after;
    if (earlyValid && lateValid) return Math.min(early, late);
    if (lateValid) return late;
    // Either only `early` is valid, or the time falls in a gap: the pre-transition offset
    // lands it just past the transition.
    return early;
  }

  /** Start of the interval holding `utcMs` on this clock (a five-minute slot, an hour, a day). */
  startOf(utcMs: number, interval: UsageInterval): number {
    const wall = this.wallAt(utcMs);
    if (interval === "DAY") {
      const start = this.toUtc(wall - mod(wall, DAY_MS));
      return start <= utcMs ? start : utcMs - mod(wall, DAY_MS);
    }
    const unit = interval === "HOUR" ? HOUR_MS : FIVE_MINUTES_MS;
    const start = utcMs - mod(wall, unit);
    // Within one offset the wall and UTC move together; across a change, ask the wall clock.
    if (this.offsetAt(start) === this.offsetAt(utcMs)) return start;
    const byWall = this.toUtc(wall - mod(wall, unit));
    return byWall <= utcMs ? byWall : start;
  }

  /** Start of the interval after the one starting at `startMs`. */
  next(startMs: number, interval: UsageInterval): number {
    if (interval === "DAY") {
      const wall = this.wallAt(startMs);
      const next = this.toUtc(wall - mod(wall, DAY_MS) + DAY_MS);
      return next > startMs ? next : startMs + DAY_MS;
    }
    // Hours and slots are fixed lengths of UTC; a repeated wall hour is two buckets.
    const unit = interval === "HOUR" ? HOUR_MS : FIVE_MINUTES_MS;
    return this.startOf(startMs + unit, interval);
  }

  #computeOffset(utcMs: number): number {
    const part: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
    for (const { type, value } of this.#format.formatToParts(utcMs)) part[type] = value;
    // Years before 100 (and BC) read wrong here; no export reaches back that far.
    const wall = Date.UTC(Number(part.year), Number(part.month) - 1, Number(part.day), Number(part.hour), Number(part.minute), Number(part.second));
    return wall - Math.floor(utcMs / 1000) * 1000;
  }
}

function mod(value: number, unit: number): number {
  return ((value % unit) + unit) % unit;
}
