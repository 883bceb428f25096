/**
 * Run a mutation at most once per (scope, idempotency key): the mapping from store outcomes to
 * the contract's errors (`IDEMPOTENCY_IN_PROGRESS`, `IDEMPOTENCY_KEY_REUSED`).
 */
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
  /** Hint sent with IDEMPOTENCY_IN_PROGRESS. */
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
  let outcome;
  try {
    outcome = await store.begin(scope, key, fingerprint, options.leaseMs ?? DEFAULT_LEASE_MS);
  } catch (error) {
    options.onStoreError?.(error, "begin");
    // Fail closed: without the store, running could create the task twice. Retryable.
    throw gatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, "Idempotency store unavailable; retry later", {
      reason: "idempotency-store-unavailable",
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
    await store.abandon(scope, key).catch((storeError: unknown) => options.onStoreError?.(storeError, "abandon"));
    throw error;
  }
  // The call succeeded: its result goes back even if it cannot be stored.
  await store.complete(scope, key, fingerprint, result).catch((storeError: unknown) => options.onStoreError?.(storeError, "complete"));
  return result;
}
