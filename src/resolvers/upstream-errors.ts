/**
 * The one place upstream failures become GraphQL errors (codes from design.md). Messages name
 * the operation and the upstream's code, never the signed request; the upstream's own message
 * is passed on only for codes that describe the caller's input, and then shortened.
 */
import { GraphQLError } from "graphql";
import { ErrorCode, badUserInput, gatewayError, type UpstreamErrorDetails } from "../errors.js";
import {
  UpstreamError,
  UpstreamMalformedError,
  UpstreamQuotaExhaustedError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "../upstream/errors.js";
import { InvalidWindowError } from "../reading/relay-window.js";

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

function fromUpstream(error: UpstreamError): GraphQLError {
  if (error instanceof UpstreamThrottledError) {
    return gatewayError(ErrorCode.UPSTREAM_THROTTLED, `${error.action} throttled by the upstream; retry later`, {
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      upstream: details(error),
    });
  }
  if (error instanceof UpstreamQuotaExhaustedError) {
    return gatewayError(ErrorCode.UPSTREAM_THROTTLED, `${error.action}: the gateway's upstream call budget is exhausted; retry later`, {});
  }
  if (error instanceof UpstreamTimeoutError) {
    return gatewayError(ErrorCode.UPSTREAM_TIMEOUT, `${error.action}: no answer from the upstream within ${error.timeoutMs} ms`, {
      timeoutMs: error.timeoutMs,
    });
  }
  if (error instanceof UpstreamUnavailableError) {
    return gatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `${error.action}: upstream unavailable`, { reason: error.reason });
  }
  if (error instanceof UpstreamMalformedError) {
    return gatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `${error.action}: the upstream answered with an unexpected body`, {
      reason: "malformed-response",
    });
  }
  if (error instanceof UpstreamRejectedError) {
    if (error.isServerError) {
      return gatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `${error.action}: upstream error ${error.upstreamCode} (HTTP ${error.httpStatus})`, {
        reason: "server-error",
        upstream: details(error),
      });
    }
    return gatewayError(ErrorCode.UPSTREAM_REJECTED, rejectedMessage(error), { upstream: details(error) });
  }
  return gatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `${error.action}: upstream failure`, { reason: error.code });
}

/**
 * Maps upstream failures and refused windows to GraphQL errors; anything else (already a
 * GraphQLError, or a bug) passes through unchanged for the server's error masking.
 */
export function toGatewayError(error: unknown): unknown {
  if (error instanceof GraphQLError) return error;
  if (error instanceof UpstreamError) return fromUpstream(error);
  if (error instanceof InvalidWindowError) return badUserInput(error.field, error.rule, error.message);
  return error;
}

/** Runs resolver work and rethrows failures through `toGatewayError`. */
export async function withUpstreamErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toGatewayError(error);
  }
}
