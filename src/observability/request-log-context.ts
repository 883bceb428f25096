/**
 * The request id on every log line written while a request is handled — including lines from
 * shared parts that know nothing about requests (the upstream client's failure logs, the page
 * cache, yoga's own errors). AsyncLocalStorage carries a per-request slot across awaits: the
 * server runs each request in a fresh slot, the request-id plugin fills it once the id is known,
 * and the logger's pino `mixin` reads it. One instance per app, passed to both (no global).
 */
import { AsyncLocalStorage } from "node:async_hooks";

interface RequestSlot {
  requestId: string | undefined;
}

export class RequestLogContext {
  readonly #storage = new AsyncLocalStorage<RequestSlot>();

  /** Runs `handle` (everything one HTTP request does) in a fresh, still anonymous slot. */
  run<T>(handle: () => T): T {
    return this.#storage.run({ requestId: undefined }, handle);
  }

  /** Names the current request; a no-op outside `run`. */
  setRequestId(requestId: string): void {
    const slot = this.#storage.getStore();
    if (slot !== undefined) slot.requestId = requestId;
  }

  requestId(): string | undefined {
    return this.#storage.getStore()?.requestId;
  }

  /** For pino's `mixin`: `{ requestId }` inside a named request, nothing elsewhere. */
  readonly fields = (): { requestId?: string } => {
    const requestId = this.requestId();
    return requestId === undefined ? {} : { requestId };
  };
}
