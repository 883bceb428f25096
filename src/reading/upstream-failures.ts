/**
 * The one place upstream failures (and refused windows) become catalogue errors, as plain data.
 * Messages name the operation and the upstream's code, never the signed request; the upstream's
 * own message is passed on only for codes that describe the caller's input, and then shortened.
 * It sits below both of its users: resolvers raise the errors, and the live task watches publish
 * them to subscribers on every replica.
 */
import { badUserInputData, ErrorCode, errorData, type GatewayErrorData, type UpstreamErrorDetails } from "../errors.js";
import {
  UpstreamError,
  UpstreamMalformedError,
  UpstreamQuotaExhaustedError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "../upstream/errors.js";
import { InvalidWindowError } from "./relay-window.js";

// Credential and signing errors can echo the string-to-sign; their text stays inside.
const OPAQUE_CODES = /^(Signature|IncompleteSignature|InvalidAccessKey|InvalidTimeStamp|InvalidSecurityToken|SignatureNonce)/;
const MAX_MESSAGE = 200;

function details(error: UpstreamRejectedError | UpstreamThrottledError): UpstreamErrorDetails {
  return { code: error.upstreamCode, requestId: error.requestId, httpStatus: error.httpStatus };
}

function rejectedMessage(error: UpstreamRejectedError): string {
  const base = `${error.action} rejected by the upstream: ${error.upstreamCode} (HTTP ${error.httpStatus})`;
  if (OPAQUE_CODES.test(error.upstreamCode) || error.upstreamMessage === "") return base;
  const said = error.upstreamMessage.length > MAX_MESSAGE ? `${error.upstreamMessage.slice(0, MAX_MESSAGE)}…` : error.upstreamMessage;
  return `${base}: ${said}`;
}

function fromUpstream(error: UpstreamError): GatewayErrorData {
  if (error instanceof UpstreamThrottledError) {
    return errorData(ErrorCode.UPSTREAM_THROTTLED, `${error.action} throttled by the upstream; retry later`, {
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      upstream: details(error),
    });
  }
  if (error instanceof UpstreamQuotaExhaustedError) {
    return errorData(ErrorCode.UPSTREAM_THROTTLED, `${error.action}: the gateway's upstream call budget is exhausted; retry later`, {});
  }
  if (error instanceof UpstreamTimeoutError) {
    return errorData(ErrorCode.UPSTREAM_TIMEOUT, `${error.action}: no answer from the upstream within ${error.timeoutMs} ms`, {
      timeoutMs: error.timeoutMs,
    });
  }
  if (error instanceof UpstreamUnavailableError) {
    return errorData(ErrorCode.UPSTREAM_UNAVAILABLE, `${error.action}: upstream unavailable`, { reason: error.reason });
  }
  if (error instanceof UpstreamMalformedError) {
    return errorData(ErrorCode.UPSTREAM_UNAVAILABLE, `${error.action}: the upstream answered with an unexpected body`, {
      reason: "malformed-response",
    });
  }
  if (error instanceof UpstreamRejectedError) {
    if (error.isServerError) {
      return errorData(ErrorCode.UPSTREAM_UNAVAILABLE, `${error.action}: upstream error ${error.upstreamCode} (HTTP ${error.httpStatus})`, {
        reason: "server-error",
        upstream: details(error),
      });
    }
    return errorData(ErrorCode.UPSTREAM_REJECTED, rejectedMessage(error), { upstream: details(error) });
  }
  return errorData(ErrorCode.UPSTREAM_UNAVAILABLE, `${error.action}: upstream failure`, { reason: error.code });
}

/** The catalogue error for an upstream failure or a refused window; null for anything else (a bug). */
export function upstreamFailureData(error: unknown): GatewayErrorData | null {
  if (error instanceof UpstreamError) return fromUpstream(error);
  if (error instanceof InvalidWindowError) {
    return badUserInputData([{ field: error.field, rule: error.rule, message: error.message }]);
  }
  return null;
}
