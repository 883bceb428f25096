/**
 * One read of an export for all replicas (`REDIS_URL`): the first replica to want a file takes
 * a short lock on it, reads it, and stores the parsed form (parsed-codec.ts) for the others,
 * who wait for it instead of downloading and parsing the same file again. The lock lives
 * `lockMs` and is extended while the holder works; a holder that dies lets it run out, and
 * the next waiter takes it. A waiter never waits past `maxWaitMs`: then it reads the file
 * itself. A typed failure (EXPORT_*) is stored briefly too, so waiters get the same answer
 * rather than each trying again at once.
 *
 * Redis trouble never fails a request: on any store error this replica reads the file itself.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ExportStore } from "../state/export-store.js";
import { ExportError, ExportFormatUnrecognizedError, ExportNotReadyError, ExportTooLargeError, ExportUnavailableError } from "./errors.js";
import { decodeParsedExport, encodeParsedExport } from "./parsed-codec.js";
import type { ParsedExport } from "./parsed-export.js";

export const DEFAULT_SHARED_TTL_MS = 3_600_000;
const DEFAULT_LOCK_MS = 15_000;
const DEFAULT_POLL_MS = 100;
/** How long a failure is kept for the replicas waiting on it: long enough to reach them all. */
const FAILURE_TTL_MS = 5_000;
/** Stored failures start with this; parsed forms with their own magic. */
const FAILURE_MAGIC = "CXF1";

export interface SharedLoadsOptions {
  store: ExportStore;
  /** How long a parsed form stays in the store (EXPORT_SHARED_TTL_MS). */
  ttlMs?: number;
  lockMs?: number;
  pollMs?: number;
  /** Longest a replica waits for another's read before reading the file itself. */
  maxWaitMs: number;
  /** A store command failed (logged by the caller; never the request's failure). */
  onStoreError?: (error: unknown) => void;
}

export type SharedOutcome = "read-here" | "from-store";

export class SharedLoads {
  readonly #store: ExportStore;
  readonly #ttlMs: number;
  readonly #lockMs: number;
  readonly #pollMs: number;
  readonly #maxWaitMs: number;
  readonly #onStoreError: (error: unknown) => void;

  constructor(options: SharedLoadsOptions) {
    this.#store = options.store;
    this.#ttlMs = options.ttlMs ?? DEFAULT_SHARED_TTL_MS;
    this.#lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.#maxWaitMs = options.maxWaitMs;
    this.#onStoreError = options.onStoreError ?? (() => undefined);
  }

  /** The parsed form of `name`: from the store, from the replica reading it, or read here by `readHere`. */
  async load(name: string, readHere: () => Promise<ParsedExport>): Promise<{ parsed: ParsedExport; outcome: SharedOutcome }> {
    const deadline = performance.now() + this.#maxWaitMs;
    for (;;) {
      const stored = await this.#stored(name);
      if (stored === "unavailable") return { parsed: await readHere(), outcome: "read-here" };
      if (stored !== null) return { parsed: stored, outcome: "from-store" };
      let lock;
      try {
        lock = await this.#store.lock(name, this.#lockMs);
      } catch (error) {
        this.#onStoreError(error);
        return { parsed: await readHere(), outcome: "read-here" };
      }
      if (lock !== null) return this.#readHolding(name, lock, readHere);
      if (performance.now() >= deadline) return { parsed: await readHere(), outcome: "read-here" };
      await sleep(this.#pollMs);
    }
  }

  async #readHolding(name: string, lock: NonNullable<Awaited<ReturnType<ExportStore["lock"]>>>, readHere: () => Promise<ParsedExport>): Promise<{ parsed: ParsedExport; outcome: SharedOutcome }> {
    const keepAlive = setInterval(() => {
      lock.extend(this.#lockMs).catch((error: unknown) => this.#onStoreError(error));
    }, Math.max(10, Math.floor(this.#lockMs / 3)));
    keepAlive.unref();
    try {
      // Another replica may have finished between our look and our lock.
      const stored = await this.#stored(name);
      if (stored !== null && stored !== "unavailable") return { parsed: stored, outcome: "from-store" };
      let parsed: ParsedExport;
      try {
        parsed = await readHere();
      } catch (error) {
        if (error instanceof ExportError) await this.#put(name, encodeFailure(error), FAILURE_TTL_MS);
        throw error;
      }
      await this.#put(name, encodeParsedExport(parsed), this.#ttlMs);
      return { parsed, outcome: "read-here" };
    } finally {
      clearInterval(keepAlive);
      await lock.release().catch((error: unknown) => this.#onStoreError(error));
    }
  }

  /** The stored form; throws a stored failure; null when there is none (or it is unreadable). */
  async #stored(name: string): Promise<ParsedExport | null | "unavailable"> {
    let bytes: Buffer | null;
    try {
      bytes = await this.#store.get(name);
    } catch (error) {
      this.#onStoreError(error);
      return "unavailable";
    }
    if (bytes === null) return null;
    if (bytes.subarray(0, 4).toString("latin1") === FAILURE_MAGIC) throw decodeFailure(bytes);
    try {
      return decodeParsedExport(bytes);
    } catch (error) {
      // Another version's bytes, or cut short: read the file again and store it anew.
      this.#onStoreError(error);
      return null;
    }
  }

  async #put(name: string, bytes: Uint8Array, ttlMs: number): Promise<void> {
    try {
      await this.#store.put(name, bytes, ttlMs);
    } catch (error) {
      this.#onStoreError(error);
    }
  }
}

interface StoredFailure {
  code: string;
  reason?: string;
  host?: string | null;
  detail?: string;
  limitBytes?: number;
  headers?: string[];
  status?: string;
}

function encodeFailure(error: ExportError): Buffer {
  const failure: StoredFailure = { code: error.code };
  if (error instanceof ExportUnavailableError) Object.assign(failure, { reason: error.reason, host: error.host, detail: error.detail });
  if (error instanceof ExportTooLargeError) failure.limitBytes = error.limitBytes;
  if (error instanceof ExportFormatUnrecognizedError) Object.assign(failure, { headers: [...error.headers], detail: error.detail });
  if (error instanceof ExportNotReadyError) failure.status = error.status;
  return Buffer.concat([Buffer.from(FAILURE_MAGIC, "latin1"), Buffer.from(JSON.stringify(failure), "utf8")]);
}

function decodeFailure(bytes: Buffer): Error {
  let failure: StoredFailure;
  try {
    failure = JSON.parse(bytes.subarray(4).toString("utf8")) as StoredFailure;
  } catch {
    return new ExportUnavailableError("fetch-failed", null, "another replica's read failed");
  }
  const detail = failure.detail ?? "another replica's read failed";
  switch (failure.code) {
    case "EXPORT_TOO_LARGE":
      return new ExportTooLargeError(failure.limitBytes ?? 0);
    case "EXPORT_FORMAT_UNRECOGNIZED":
      return new ExportFormatUnrecognizedError(failure.headers ?? [], detail);
    case "EXPORT_NOT_READY":
      return new ExportNotReadyError(failure.status ?? "UNKNOWN");
    default: {
      const reason = failure.reason === "host-not-allowed" || failure.reason === "expired" ? failure.reason : "fetch-failed";
      return new ExportUnavailableError(reason, failure.host ?? null, detail);
    }
  }
}
