/**
 * Idempotency keys for mutations: the first request with a key runs, a concurrent twin is told
 * to retry later, a later retry gets the stored result, and the same key with a different
 * payload is refused. Stores: in-memory (one process) and Redis (replicas share the record).
 */

/** What `begin` found for (scope, key). */
export type BeginOutcome =
  /** No record: the caller now holds the key and must `complete` or `abandon` it. */
  | { state: "new" }
  /** An earlier request with the same payload finished: its result, as stored (JSON). */
  | { state: "done"; result: unknown }
  /** The same payload is running right now (here or on another replica). */
  | { state: "in-progress" }
  /** The key was used with a different payload (fingerprint). */
  | { state: "reused" };

export interface IdempotencyStore {
  /**
   * Claim (scope, key) for a request with `fingerprint`. The claim lapses after `leaseMs` if never
   * completed or abandoned (a replica died mid-call). `owner` names the claim, so that only its
   * holder releases it.
   */
  begin(scope: string, key: string, fingerprint: string, leaseMs: number, owner?: string): Promise<BeginOutcome>;
  /**
   * Store the result (JSON-serialisable) for the store's retention period. No effect when the
   * record now belongs to another payload or is already done. Throws when the result is not
   * stored durably (under Sentinel: no replica acknowledged it); calling again is safe.
   */
  complete(scope: string, key: string, fingerprint: string, result: unknown): Promise<void>;
  /**
   * Release an in-progress claim (the call failed, or its claim's answer was lost) so a retry can
   * run; a done record stays. With `owner`, only a claim made under that name.
   */
  abandon(scope: string, key: string, owner?: string): Promise<void>;
}

/** How long a finished request's result is replayed for a retry with the same key. */
export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Longer than any single upstream create (attempts × per-attempt timeout + backoff). */
export const DEFAULT_LEASE_MS = 60_000;

export interface StoredRecord {
  /** `p` = in progress, `d` = done. */
  state: "p" | "d";
  fingerprint: string;
  /** JSON text of the result when done. */
  result: string | null;
  /** Who holds an in-progress claim. */
  owner?: string;
}

/** The outcome of `begin` against an existing record, shared by both stores. */
export function outcomeFor(record: StoredRecord, fingerprint: string): BeginOutcome {
  if (record.fingerprint !== fingerprint) return { state: "reused" };
  if (record.state === "p") return { state: "in-progress" };
  return { state: "done", result: record.result === null ? null : JSON.parse(record.result) as unknown };
}
