/**
 * The latest TotalCount per kind that any request of one app read, shared across its requests.
 */
import type { ExportKind } from "../upstream/types.js";

/** How long a TotalCount read by an earlier request may plan a later one's reads. */
export const RECENT_TOTAL_MAX_AGE_MS = 60_000;

/**
 * The latest TotalCount per kind that any request of one app read, shared across its requests:
 * lets an entity scan plan its first wave before page 1 answers. Never an answer in itself.
 */
export class RecentTotals {
  readonly #seen = new Map<ExportKind, { total: number; seenAt: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  record(kind: ExportKind, total: number): void {
    this.#seen.set(kind, { total, seenAt: this.now() });
  }

  /** The total last read for `kind`, if within RECENT_TOTAL_MAX_AGE_MS. */
  get(kind: ExportKind): number | undefined {
    const seen = this.#seen.get(kind);
    return seen !== undefined && this.now() - seen.seenAt <= RECENT_TOTAL_MAX_AGE_MS ? seen.total : undefined;
  }

  forget(kind: ExportKind): void {
    this.#seen.delete(kind);
  }
}
