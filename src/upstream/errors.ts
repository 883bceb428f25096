/**
 * Typed upstream failures, each with a stable `code` (undici style). Messages and fields hold
 * the operation and what the upstream said, never the signed request: no AccessKey secret,
 * signature or security token can travel inside one of these.
 */
import type { CallOutcome } from "./types.js";

export type UpstreamErrorCode =
  | "UPSTREAM_REJECTED"
  | "UPSTREAM_THROTTLED"
  | "UPSTREAM_TIMEOUT"
  | "UPSTREAM_UNAVAILABLE"
  | "UPSTREAM_MALFORMED"
  | "UPSTREAM_QUOTA_EXHAUSTED";

export abstract class UpstreamError extends Error {
  abstract readonly code: UpstreamErrorCode;
  abstract readonly outcome: CallOutcome;
  readonly action: string;
  constructor(action: string, message: string) {
    super(`${action}: ${message}`);
    this.name = new.target.name;
    this.action = action;
  }
}

/** The upstream answered with an error body (4xx, or a 5xx that is not throttling). */
export class UpstreamRejectedError extends UpstreamError {
  readonly code = "UPSTREAM_REJECTED";
  readonly outcome = "rejected";
  constructor(
    action: string,
    readonly upstreamCode: string,
    readonly upstreamMessage: string,
    readonly requestId: string | null,
    readonly httpStatus: number,
  ) {
    super(action, `${upstreamCode} (HTTP ${httpStatus}): ${upstreamMessage}`);
  }
  /** 5xx answers are the upstream's trouble, not the caller's. */
  get isServerError(): boolean {
    return this.httpStatus >= 500;
  }
}

/** `Throttling*` from the upstream; `retryAfterMs` from `x-acs-retry-after` when sent. */
export class UpstreamThrottledError extends UpstreamError {
  readonly code = "UPSTREAM_THROTTLED";
  readonly outcome = "throttled";
  constructor(
    action: string,
    readonly upstreamCode: string,
    readonly requestId: string | null,
    readonly httpStatus: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(action, `throttled by the upstream (${upstreamCode})`);
  }
}

/** No answer within the per-attempt deadline (CDN_TIMEOUT_MS). */
export class UpstreamTimeoutError extends UpstreamError {
  readonly code = "UPSTREAM_TIMEOUT";
  readonly outcome = "timeout";
  constructor(
    action: string,
    readonly timeoutMs: number,
  ) {
    super(action, `no answer within ${timeoutMs} ms`);
  }
}

/** The connection failed or dropped before a whole answer arrived. */
export class UpstreamUnavailableError extends UpstreamError {
  readonly code = "UPSTREAM_UNAVAILABLE";
  readonly outcome = "unavailable";
  constructor(
    action: string,
    readonly reason: string,
  ) {
    super(action, `upstream unreachable (${reason})`);
  }
}

/** A body that is not the documented shape; `field` names where it broke. */
export class UpstreamMalformedError extends UpstreamError {
  readonly code = "UPSTREAM_MALFORMED";
  readonly outcome = "malformed";
  constructor(
    action: string,
    readonly field: string,
    readonly problem: string,
    /** The HTTP status the malformed body came with, when known. */
    readonly httpStatus?: number,
  ) {
    super(action, `malformed response at ${field}: ${problem}`);
  }
}

/** The client-side quota (CDN_RATE_LIMIT) had no slot within the allowed wait. */
export class UpstreamQuotaExhaustedError extends UpstreamError {
  readonly code = "UPSTREAM_QUOTA_EXHAUSTED";
  readonly outcome = "quota";
  constructor(
    action: string,
    readonly waitedMs: number,
  ) {
    super(action, `gateway quota exhausted: no call slot within ${waitedMs} ms`);
  }
}
