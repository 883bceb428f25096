/**
 * In-flight sharing: callers asking for the same key while a call for it is running get that
 * call's result instead of starting their own. A caller that aborts only stops waiting; the
 * shared call is cancelled only when every caller has gone. The shared result is one object
 * handed to all callers: treat it as read-only.
 */
export interface Coalescer<T> {
  run(key: string, call: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Calls running now (for tests and metrics). */
  readonly size: number;
}

interface SharedCall<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

export function createCoalescer<T>(): Coalescer<T> {
  const inFlight = new Map<string, SharedCall<T>>();

  function start(key: string, call: (signal: AbortSignal) => Promise<T>): SharedCall<T> {
    const controller = new AbortController();
    const shared: SharedCall<T> = {
      promise: Promise.resolve().then(() => call(controller.signal)),
      controller,
      waiters: 0,
    };
    inFlight.set(key, shared);
    const forget = (): void => {
      if (inFlight.get(key) === shared) inFlight.delete(key);
    };
    shared.promise.then(forget, forget);
    return shared;
  }

  function leave(key: string, shared: SharedCall<T>, reason: unknown): void {
    shared.waiters -= 1;
    if (shared.waiters > 0) return;
    if (inFlight.get(key) === shared) inFlight.delete(key);
    shared.controller.abort(reason);
  }

  return {
    get size() {
      return inFlight.size;
    },
    run(key, call, signal) {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      const shared = inFlight.get(key) ?? start(key, call);
      shared.waiters += 1;
      if (signal === undefined) return shared.promise;
      return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => {
          leave(key, shared, signal.reason);
          reject(abortReason(signal));
        };
        signal.addEventListener("abort", onAbort, { once: true });
        shared.promise
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
