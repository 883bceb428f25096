/**
 * In-process idempotency store (no `REDIS_URL`): the same semantics as the Redis store, results
 * kept as JSON text so both replay exactly the same values. Bounded: the oldest records go first.
 */
import { DEFAULT_RETENTION_MS, outcomeFor, type IdempotencyStore, type StoredRecord } from "./idempotency.js";

export interface MemoryIdempotencyStoreOptions {
  now?: () => number;
  retentionMs?: number;
  maxEntries?: number;
}

interface MemoryRecord extends StoredRecord {
  expiresAt: number;
}

export function createMemoryIdempotencyStore(options: MemoryIdempotencyStoreOptions = {}): IdempotencyStore {
  const now = options.now ?? Date.now;
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  const maxEntries = options.maxEntries ?? 10_000;
  const records = new Map<string, MemoryRecord>();
  const id = (scope: string, key: string): string => JSON.stringify([scope, key]);

  const live = (recordId: string): MemoryRecord | undefined => {
    const record = records.get(recordId);
    if (record !== undefined && record.expiresAt <= now()) {
      records.delete(recordId);
      return undefined;
    }
    return record;
  };
  const put = (recordId: string, record: MemoryRecord): void => {
    records.delete(recordId); // re-insert at the end: Map order = age order
    records.set(recordId, record);
    for (const oldest of records.keys()) {
      if (records.size <= maxEntries) break;
      records.delete(oldest);
    }
  };

  return {
    begin(scope, key, fingerprint, leaseMs, owner) {
      const recordId = id(scope, key);
      const record = live(recordId);
      if (record !== undefined) return Promise.resolve(outcomeFor(record, fingerprint));
      put(recordId, { state: "p", fingerprint, result: null, expiresAt: now() + leaseMs, ...(owner === undefined ? {} : { owner }) });
      return Promise.resolve({ state: "new" });
    },
    complete(scope, key, fingerprint, result) {
      const recordId = id(scope, key);
      const record = live(recordId);
      if (record === undefined || (record.state === "p" && record.fingerprint === fingerprint)) {
        put(recordId, { state: "d", fingerprint, result: JSON.stringify(result) ?? null, expiresAt: now() + retentionMs });
      }
      return Promise.resolve();
    },
    abandon(scope, key, owner) {
      const recordId = id(scope, key);
      const record = live(recordId);
      if (record?.state === "p" && (owner === undefined || record.owner === owner)) records.delete(recordId);
      return Promise.resolve();
    },
  };
}
