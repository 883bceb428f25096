/**
 * In-flight sharing: callers asking for the same key while a call for it is running get that
 * call's result instead of starting their own. A caller that aborts only stops waiting; the
 * shared call is cancelled only when every caller has gone. The shared result is one object
 * handed to all callers: treat it as read-only.
 *
 * A call started for a caller without a signal gets none: that caller never leaves, so nothing
 * could ever cancel it (and an AbortController per read is a measurable cost: bench case 2).
 */
export interface Coalescer<T> {
  run(key: string, call: (signal: AbortSignal | undefined) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Calls running now (for tests and metrics). */
  readonly size: number;
}

interface Settle<T> {
  resolve(value: T): void;
  reject(reason: unknown): void;
}

/**
 * The map's entry for a running call: who waits for it, never the call's promise or result,
 * so an answered page is not kept in memory by the map once its callers have it.
 */
interface SharedCall<T> {
  /** Absent when the first caller had no signal: the call can then never be cancelled. */
  readonly controller: AbortController | undefined;
  waiters: number;
  /** Callers that joined after the start; dropped as soon as the call settles. */
  joined: Settle<T>[] | undefined;
}

export function createCoalescer<T>(): Coalescer<T> {
  const inFlight = new Map<string, SharedCall<T>>();

  /** Starts the call for its first caller, whose promise this is. */
  function start(key: string, shared: SharedCall<T>, call: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    inFlight.set(key, shared);
    const outcome = Promise.resolve().then(() => call(shared.controller?.signal));
    // Registered first, so the key is forgotten before any caller sees the outcome.
    outcome.then(
      (value) => {
        for (const joiner of end(key, shared) ?? []) joiner.resolve(value);
      },
      (error: unknown) => {
        for (const joiner of end(key, shared) ?? []) joiner.reject(error);
      },
    );
    return outcome;
  }

  function end(key: string, shared: SharedCall<T>): Settle<T>[] | undefined {
    if (inFlight.get(key) === shared) inFlight.delete(key);
    const { joined } = shared;
    shared.joined = undefined;
    return joined;
  }

  function join(shared: SharedCall<T>): Promise<T> {
    shared.waiters += 1;
    return new Promise<T>((resolve, reject) => {
      (shared.joined ??= []).push({ resolve, reject });
    });
  }

  function leave(key: string, shared: SharedCall<T>, reason: unknown): void {
    shared.waiters -= 1;
    if (shared.waiters > 0) return;
    if (inFlight.get(key) === shared) inFlight.delete(key);
    shared.controller?.abort(reason);
  }

  return {
    get size() {
      return inFlight.size;
    },
    run(key, call, signal) {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      let shared = inFlight.get(key);
      let outcome: Promise<T>;
      if (shared === undefined) {
        shared = { controller: signal === undefined ? undefined : new AbortController(), waiters: 1, joined: undefined };
        outcome = start(key, shared, call);
      } else {
        outcome = join(shared);
      }
      if (signal === undefined) return outcome;
      const mine = shared;
      return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => {
          leave(key, mine, signal.reason);
          reject(abortReason(signal));
        };
        signal.addEventListener("abort", onAbort, { once: true });
        outcome
          .finally(() => {
            signal.removeEventListener("abort", onAbort);
          })
          .then(resolve, reject);
      });
    },
  };
}

/** The caller's abort reason (an AbortError DOMException unless it gave its own Error). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException("This operation was aborted", "AbortError");
}
