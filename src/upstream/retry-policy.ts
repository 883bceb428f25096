/**
 * When to call the upstream again (cockatiel): reads (Describe*) retry on throttling, 5xx,
 * timeouts and dropped connections; creates and deletes retry ONLY on throttling, because after
 * a timeout or a dropped connection the call may already have run. Delays are jittered
 * exponential backoff, and never shorter than the upstream's `x-acs-retry-after`.
 */
import {
  DelegateBackoff,
  ExponentialBackoff,
  handleWhen,
  retry,
  type IBackoff,
  type IRetryBackoffContext,
  type RetryPolicy,
} from "cockatiel";
import {
  UpstreamError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "./errors.js";
import type { UpstreamObserver } from "./types.js";

/** `read`: safe to repeat. `write`: may have taken effect, repeat only when refused unrun. */
export type CallKind = "read" | "write";

export interface RetryPolicyOptions {
  /** Attempts in total, the first one included (1 = never retry). */
  maxAttempts: number;
  /** First backoff step, milliseconds. */
  baseDelayMs: number;
  /** Longest backoff step, milliseconds. */
  maxDelayMs: number;
  /** A throttled answer asking to wait longer than this is not retried. Default 5000. */
  maxRetryAfterMs?: number;
  observer?: UpstreamObserver;
}

export interface UpstreamRetryPolicy {
  /** Runs `attempt` (1-based attempt number) until it succeeds or may not be retried. */
  execute<T>(kind: CallKind, attempt: (attemptNumber: number) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

const DEFAULT_MAX_RETRY_AFTER_MS = 5000;

/** Whether a failed attempt of this kind may be made again. */
export function isRetryable(kind: CallKind, error: unknown, maxRetryAfterMs = DEFAULT_MAX_RETRY_AFTER_MS): boolean {
  if (error instanceof UpstreamThrottledError) return (error.retryAfterMs ?? 0) <= maxRetryAfterMs;
  if (kind === "write") return false;
  return (
    error instanceof UpstreamTimeoutError ||
    error instanceof UpstreamUnavailableError ||
    (error instanceof UpstreamRejectedError && error.isServerError)
  );
}

export function createRetryPolicy(options: RetryPolicyOptions): UpstreamRetryPolicy {
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
    throw new RangeError("maxAttempts must be an integer >= 1");
  }
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const policies: Record<CallKind, RetryPolicy> = {
    read: build("read", options, maxRetryAfterMs),
    write: build("write", options, maxRetryAfterMs),
  };
  return {
    execute: (kind, attempt, signal) =>
      policies[kind].execute((context) => attempt(context.attempt + 1), signal),
  };
}

function build(kind: CallKind, options: RetryPolicyOptions, maxRetryAfterMs: number): RetryPolicy {
  const policy = retry(
    handleWhen((error) => isRetryable(kind, error, maxRetryAfterMs)),
    // cockatiel counts retries, not attempts.
    { maxAttempts: options.maxAttempts - 1, backoff: backoff(options) },
  );
  const { observer } = options;
  if (observer?.onRetry) {
    policy.onRetry((event) => {
      const error: unknown = "error" in event ? event.error : undefined;
      if (!(error instanceof UpstreamError)) return;
      notify(() =>
        observer.onRetry?.({ action: error.action, attempt: event.attempt, delayMs: event.delay, reason: error.outcome }),
      );
    });
  }
  return policy;
}

type BackoffContext = IRetryBackoffContext<unknown>;

/** Decorrelated-jitter exponential steps, stretched to at least the upstream's retry-after. */
function backoff(options: RetryPolicyOptions): DelegateBackoff<BackoffContext, IBackoff<unknown> | undefined> {
  const exponential = new ExponentialBackoff({ initialDelay: options.baseDelayMs, maxDelay: options.maxDelayMs });
  return new DelegateBackoff<BackoffContext, IBackoff<unknown> | undefined>((context, previous) => {
    const step = previous === undefined ? exponential.next() : previous.next(context);
    const error = "error" in context.result ? context.result.error : undefined;
    const retryAfter = error instanceof UpstreamThrottledError ? (error.retryAfterMs ?? 0) : 0;
    return { delay: Math.max(Math.round(step.duration), retryAfter), state: step };
  });
}

/** An observer that throws must not break the call it watches. */
export function notify(report: () => void): void {
  try {
    report();
  } catch {
    // Deliberately ignored: observers are best-effort.
  }
}
