/**
 * The one catalogue of error codes the gateway puts in GraphQL `extensions.code`
 * (contract: shared/docs/design.md). Every GraphQLError the gateway raises is built here,
 * so codes and extension shapes cannot drift between resolvers and plugins.
 */
import { GraphQLError } from "graphql";

export const ErrorCode = {
  BAD_USER_INPUT: "BAD_USER_INPUT",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  UPSTREAM_THROTTLED: "UPSTREAM_THROTTLED",
  UPSTREAM_TIMEOUT: "UPSTREAM_TIMEOUT",
  UPSTREAM_UNAVAILABLE: "UPSTREAM_UNAVAILABLE",
  UPSTREAM_REJECTED: "UPSTREAM_REJECTED",
  IDEMPOTENCY_IN_PROGRESS: "IDEMPOTENCY_IN_PROGRESS",
  IDEMPOTENCY_KEY_REUSED: "IDEMPOTENCY_KEY_REUSED",
  PERSISTED_QUERY_ONLY: "PERSISTED_QUERY_ONLY",
  NOT_FOUND: "NOT_FOUND",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface UpstreamErrorDetails {
  code: string;
  requestId: string | null;
  httpStatus: number | null;
}

/** Typed `extensions` per code: what a client may rely on. */
export interface ErrorExtensionsByCode {
  BAD_USER_INPUT: { field: string; rule: string };
  UNAUTHENTICATED: { http?: { status: number; headers?: Record<string, string> } };
  FORBIDDEN: { requiredScopes?: string[] };
  UPSTREAM_THROTTLED: { retryAfterMs?: number; upstream?: UpstreamErrorDetails };
  UPSTREAM_TIMEOUT: { timeoutMs?: number };
  UPSTREAM_UNAVAILABLE: { reason?: string; upstream?: UpstreamErrorDetails };
  UPSTREAM_REJECTED: { upstream: UpstreamErrorDetails };
  IDEMPOTENCY_IN_PROGRESS: { retryAfterMs?: number };
  IDEMPOTENCY_KEY_REUSED: Record<string, never>;
  /** `arbitrary-operation`: a query text was sent; `unknown-document`: the id is not in the manifest. */
  PERSISTED_QUERY_ONLY: { reason?: "arbitrary-operation" | "unknown-document" | "missing-document-id"; http?: { status: number } };
  /** A watched task the upstream does not list (any more). */
  NOT_FOUND: { kind?: string; taskId?: string };
  INTERNAL_SERVER_ERROR: Record<string, never>;
}

export function gatewayError<C extends ErrorCode>(
  code: C,
  message: string,
  extensions: ErrorExtensionsByCode[C],
): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

/** A refused input: names the offending field (dotted path) and the rule it broke. */
export function badUserInput(field: string, rule: string, message?: string): GraphQLError {
  return gatewayError(ErrorCode.BAD_USER_INPUT, message ?? `${field}: ${rule}`, { field, rule });
}
