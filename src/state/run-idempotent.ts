/**
 * Run a mutation at most once per (scope, idempotency key): the mapping from store outcomes to
 * the contract's errors (`IDEMPOTENCY_IN_PROGRESS`, `IDEMPOTENCY_KEY_REUSED`, and
 * `UPSTREAM_UNAVAILABLE` with `retryAfterMs` while the store cannot vouch for a claim).
 *
 * A result that cannot be stored (Redis failing over just then, or under Sentinel no replica has
 * acknowledged it yet) is stored again in the background, backing off, until the claim's lease
 * runs out: meanwhile a retry is told "in progress" and then gets the result, never a second task. Likewise a claim whose answer was lost (it may have been
 * made) is released in the background, by its owner's name, so that a retry need not wait for
 * its lease.
 */
import { randomUUID } from "node:crypto";
import { badUserInput, ErrorCode, gatewayError } from "../errors.js";
import { DEFAULT_LEASE_MS, type IdempotencyStore } from "./idempotency.js";

export type IdempotencyStorePhase = "begin" | "complete" | "abandon";

export interface RunIdempotentOptions<T> {
  store: IdempotencyStore;
  /** Whose key this is: the principal's id, so two callers never share a key. */
  scope: string;
  key: string;
  /** `idempotencyFingerprint(operation, input)`. */
  fingerprint: string;
  /** The call to make once; its result must survive JSON (it is replayed from the store). */
  run: () => Promise<T>;
  leaseMs?: number;
  /** Hint sent with IDEMPOTENCY_IN_PROGRESS, and with UPSTREAM_UNAVAILABLE when the store is. */
  retryAfterMs?: number;
  /** The field named when the key itself is unacceptable. */
  keyField?: string;
  /** Store failures (logs, metrics); `begin` failures also refuse the request. */
  onStoreError?: (error: unknown, phase: IdempotencyStorePhase) => void;
}

/** Printable ASCII, 1–255 characters (what Stripe and the IETF draft accept). */
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export async function runIdempotent<T>(options: RunIdempotentOptions<T>): Promise<T> {
  const { store, scope, key, fingerprint } = options;
  if (!KEY_PATTERN.test(key)) {
    throw badUserInput(options.keyField ?? "idempotencyKey", "1 to 255 printable ASCII characters");
  }
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const owner = randomUUID();
  let outcome;
  try {
    outcome = await store.begin(scope, key, fingerprint, leaseMs, owner);
  } catch (error) {
    options.onStoreError?.(error, "begin");
    retryInBackground(() => store.abandon(scope, key, owner), leaseMs, (storeError) => options.onStoreError?.(storeError, "abandon"));
    // Fail closed: without the store, running could create the task twice. Retryable.
    throw gatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, "Idempotency store unavailable; retry later", {
      reason: "idempotency-store-unavailable",
      retryAfterMs: options.retryAfterMs ?? 1_000,
    });
  }
  switch (outcome.state) {
    case "done":
      // Stored by `run` of an earlier request with this same fingerprint, so it is a T.
      return outcome.result as T;
    case "in-progress":
      throw gatewayError(ErrorCode.IDEMPOTENCY_IN_PROGRESS, "A request with this idempotency key is still in progress; retry later", {
        retryAfterMs: options.retryAfterMs ?? 1_000,
      });
    case "reused":
      throw gatewayError(ErrorCode.IDEMPOTENCY_KEY_REUSED, "This idempotency key was already used with a different request", {});
    case "new":
      break;
  }
  let result: T;
  try {
    result = await options.run();
  } catch (error) {
    await store.abandon(scope, key, owner).catch((storeError: unknown) => {
      options.onStoreError?.(storeError, "abandon");
      retryInBackground(() => store.abandon(scope, key, owner), leaseMs, (laterError) => options.onStoreError?.(laterError, "abandon"));
    });
    throw error;
  }
  // The call succeeded: its result goes back even if it cannot be stored yet.
  try {
    await store.complete(scope, key, fingerprint, result);
  } catch (storeError) {
    options.onStoreError?.(storeError, "complete");
    retryInBackground(() => store.complete(scope, key, fingerprint, result), leaseMs, (laterError) => options.onStoreError?.(laterError, "complete"));
  }
  return result;
}

/**
 * Keeps trying a store step (storing a result, releasing a claim) within the claim's lease (after
 * it the record lapses anyway). Its timers do not hold a shutting-down process open.
 */
function retryInBackground(step: () => Promise<void>, leaseMs: number, onGiveUp: (error: unknown) => void): void {
  const giveUpAt = performance.now() + leaseMs * 0.9;
  const attempt = (delayMs: number, lastError: unknown): void => {
    if (performance.now() + delayMs > giveUpAt) {
      onGiveUp(lastError);
      return;
    }
    setTimeout(() => {
      step().catch((error: unknown) => attempt(Math.min(delayMs * 2, 2_000), error));
    }, delayMs).unref();
  };
  attempt(100, null);
}
