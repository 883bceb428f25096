/**
 * Per-HTTP-request facts shared by the yoga plugins and the context factory: the request id,
 * when it started, how many upstream calls it made, and the operations it carried. Keyed by
 * the fetch `Request` object, so nothing outlives the request (WeakMap) and nothing is global.
 */
import { randomUUID } from "node:crypto";

export interface OperationRecord {
  /** From the params first, then from the parsed document once known. */
  name: string | null;
  type: string | null;
  errorCodes: string[];
}

/** What the access line says about the response that carried the operations. */
export interface ResponseFacts {
  method: string;
  path: string;
  status: number;
}

export interface TrackedRequest {
  requestId: string;
  startedAt: number;
  upstreamCalls: number;
  operations: OperationRecord[];
  /** Set once the response is out; null before. */
  response: ResponseFacts | null;
  /** Subscription streams still running: the access line waits for them. */
  openStreams: number;
  /** The access line was written. */
  logged: boolean;
}

export class RequestTracker {
  readonly #byRequest = new WeakMap<Request, TrackedRequest>();

  begin(request: Request, requestId: string, startedAt: number): TrackedRequest {
    const tracked: TrackedRequest = { requestId, startedAt, upstreamCalls: 0, operations: [], response: null, openStreams: 0, logged: false };
    this.#byRequest.set(request, tracked);
    return tracked;
  }

  get(request: Request): TrackedRequest | undefined {
    return this.#byRequest.get(request);
  }
}

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** A caller's `x-request-id` when it is a sane token (no spaces, quotes or control chars), else a new UUID. */
export function requestIdFrom(headers: Headers, generate: () => string = randomUUID): string {
  const given = headers.get("x-request-id");
  return given !== null && CLIENT_REQUEST_ID.test(given) ? given : generate();
}
