/**
 * The one catalogue of error codes the gateway puts in GraphQL `extensions.code` (contract:
 * shared/docs/design.md; the README's error table lists the same codes). Every error the
 * gateway raises is built here, with its code's HTTP status, so codes, statuses and extension
 * shapes cannot drift between resolvers, plugins and the live task watches.
 */
import { GraphQLError, type ASTNode } from "graphql";

export const ErrorCode = {
  BAD_REQUEST: "BAD_REQUEST",
  REQUEST_ENTITY_TOO_LARGE: "REQUEST_ENTITY_TOO_LARGE",
  GRAPHQL_PARSE_FAILED: "GRAPHQL_PARSE_FAILED",
  GRAPHQL_VALIDATION_FAILED: "GRAPHQL_VALIDATION_FAILED",
  OPERATION_RESOLUTION_FAILURE: "OPERATION_RESOLUTION_FAILURE",
  PERSISTED_QUERY_ONLY: "PERSISTED_QUERY_ONLY",
  PERSISTED_QUERY_NOT_FOUND: "PERSISTED_QUERY_NOT_FOUND",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  NOT_FOUND: "NOT_FOUND",
  UPSTREAM_THROTTLED: "UPSTREAM_THROTTLED",
  UPSTREAM_TIMEOUT: "UPSTREAM_TIMEOUT",
  UPSTREAM_UNAVAILABLE: "UPSTREAM_UNAVAILABLE",
  UPSTREAM_REJECTED: "UPSTREAM_REJECTED",
  IDEMPOTENCY_IN_PROGRESS: "IDEMPOTENCY_IN_PROGRESS",
  IDEMPOTENCY_KEY_REUSED: "IDEMPOTENCY_KEY_REUSED",
  EXPORT_NOT_READY: "EXPORT_NOT_READY",
  EXPORT_UNAVAILABLE: "EXPORT_UNAVAILABLE",
  EXPORT_TOO_LARGE: "EXPORT_TOO_LARGE",
  EXPORT_FORMAT_UNRECOGNIZED: "EXPORT_FORMAT_UNRECOGNIZED",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The HTTP status of a response carrying the code. 200: a field's error, answered beside the
 * data the other fields could read. Anything else refuses the whole request before it runs.
 * GRAPHQL_PARSE_FAILED, OPERATION_RESOLUTION_FAILURE and INTERNAL_SERVER_ERROR (masked
 * unexpected errors) are assigned by yoga itself; they are listed so clients find every code.
 */
export const ERROR_HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  REQUEST_ENTITY_TOO_LARGE: 413,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  OPERATION_RESOLUTION_FAILURE: 400,
  PERSISTED_QUERY_ONLY: 400,
  PERSISTED_QUERY_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 200,
  BAD_USER_INPUT: 200,
  NOT_FOUND: 200,
  UPSTREAM_THROTTLED: 200,
  UPSTREAM_TIMEOUT: 200,
  UPSTREAM_UNAVAILABLE: 200,
  UPSTREAM_REJECTED: 200,
  IDEMPOTENCY_IN_PROGRESS: 200,
  IDEMPOTENCY_KEY_REUSED: 200,
  EXPORT_NOT_READY: 200,
  EXPORT_UNAVAILABLE: 200,
  EXPORT_TOO_LARGE: 200,
  EXPORT_FORMAT_UNRECOGNIZED: 200,
  INTERNAL_SERVER_ERROR: 200,
};

/**
 * The status of an answer carrying the code outside GraphQL, where the status is all a client
 * has to go on: the CSV download (`GET /exports/usage-detail/<taskId>.csv`) answers its errors
 * with the code in a JSON body and this status.
 */
export const ROUTE_HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  REQUEST_ENTITY_TOO_LARGE: 413,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  OPERATION_RESOLUTION_FAILURE: 400,
  PERSISTED_QUERY_ONLY: 400,
  PERSISTED_QUERY_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  UPSTREAM_THROTTLED: 503,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_UNAVAILABLE: 502,
  UPSTREAM_REJECTED: 502,
  IDEMPOTENCY_IN_PROGRESS: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  EXPORT_NOT_READY: 409,
  EXPORT_UNAVAILABLE: 502,
  EXPORT_TOO_LARGE: 413,
  EXPORT_FORMAT_UNRECOGNIZED: 422,
  INTERNAL_SERVER_ERROR: 500,
};

export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ErrorCode, value);
}

export interface UpstreamErrorDetails {
  code: string;
  requestId: string | null;
  httpStatus: number | null;
}

type NoExtensions = Record<string, never>;

/** One broken input rule: the dotted input path, the rule's stable name, and what it says. */
export interface InputViolation {
  field: string;
  rule: string;
  message: string;
}

/** Typed `extensions` per code (beside `code` and yoga's `http`): what a client may rely on. */
export interface ErrorExtensionsByCode {
  BAD_REQUEST: NoExtensions;
  REQUEST_ENTITY_TOO_LARGE: { limitBytes?: number };
  GRAPHQL_PARSE_FAILED: NoExtensions;
  /** The cost budget names itself; graphql-js and armor rules say what broke in the message. */
  GRAPHQL_VALIDATION_FAILED: { limit?: "cost"; maxCost?: number; cost?: number };
  OPERATION_RESOLUTION_FAILURE: NoExtensions;
  /** `arbitrary-operation`: a query text was sent; `unknown-document`: the id is not in the manifest. */
  PERSISTED_QUERY_ONLY: { reason?: "arbitrary-operation" | "unknown-document" | "missing-document-id" };
  /** Automatic persisted queries: the hash is not (or no longer) registered; send the query with it. */
  PERSISTED_QUERY_NOT_FOUND: NoExtensions;
  UNAUTHENTICATED: NoExtensions;
  FORBIDDEN: { requiredScopes?: string[] };
  /**
   * `field` and `rule` name the first broken rule, `violations` every one (at least that one).
   * `variable`: the request variable that did not coerce, when that is what was refused.
   */
  BAD_USER_INPUT: { field: string; rule: string; violations: InputViolation[]; variable?: string };
  /** A task the upstream does not list (any more): a watched one, or one asked to be deleted. */
  NOT_FOUND: { kind?: string; taskId?: string };
  UPSTREAM_THROTTLED: { retryAfterMs?: number; upstream?: UpstreamErrorDetails };
  UPSTREAM_TIMEOUT: { timeoutMs?: number };
  /** `retryAfterMs`: when a retry may succeed (the idempotency store is back after a failover). */
  UPSTREAM_UNAVAILABLE: { reason?: string; retryAfterMs?: number; upstream?: UpstreamErrorDetails };
  UPSTREAM_REJECTED: { upstream: UpstreamErrorDetails };
  IDEMPOTENCY_IN_PROGRESS: { retryAfterMs?: number };
  IDEMPOTENCY_KEY_REUSED: NoExtensions;
  /** The task has not succeeded: no file to read (yet). `status` is the task's ExportTaskStatus. */
  EXPORT_NOT_READY: { kind?: string; taskId?: string; status?: string };
  EXPORT_UNAVAILABLE: { reason: "host-not-allowed" | "fetch-failed" | "expired" };
  /** EXPORT_MAX_FILE_BYTES (or the unpacked-size limit) the file passed. */
  EXPORT_TOO_LARGE: { limitBytes: number };
  /** The header cells found, to tell what differs from the header table. */
  EXPORT_FORMAT_UNRECOGNIZED: { headers: string[] };
  INTERNAL_SERVER_ERROR: NoExtensions;
}

/**
 * An error as plain data: what crosses replicas (live task watches over Redis) and what a
 * lower layer hands up to be raised as a GraphQL error by `errorFromData`.
 */
export interface GatewayErrorData {
  code: ErrorCode;
  message: string;
  /** The code's extensions (`ErrorExtensionsByCode`), without `code` and `http`. */
  extensions: Readonly<Record<string, unknown>>;
}

export function errorData<C extends ErrorCode>(code: C, message: string, extensions: ErrorExtensionsByCode[C]): GatewayErrorData {
  return { code, message, extensions };
}

/** `http` as yoga reads it: the status, and the challenge a 401 must carry (RFC 9110). */
function httpOf(code: ErrorCode): { http?: { status: number; headers?: Record<string, string> } } {
  const status = ERROR_HTTP_STATUS[code];
  if (status === 200) return {};
  return { http: code === ErrorCode.UNAUTHENTICATED ? { status, headers: { "WWW-Authenticate": "Bearer" } } : { status } };
}

/** The GraphQL error for `data`; `nodes` locate a validation error in the document. */
export function errorFromData(data: GatewayErrorData, nodes?: ASTNode | readonly ASTNode[]): GraphQLError {
  return new GraphQLError(data.message, {
    ...(nodes === undefined ? {} : { nodes }),
    extensions: { ...data.extensions, code: data.code, ...httpOf(data.code) },
  });
}

export function gatewayError<C extends ErrorCode>(code: C, message: string, extensions: ErrorExtensionsByCode[C]): GraphQLError {
  return errorFromData(errorData(code, message, extensions));
}

/** A refused input: names the offending field (dotted path) and the rule it broke. */
export function badUserInput(field: string, rule: string, message?: string): GraphQLError {
  return badUserInputs([{ field, rule, message: message ?? `${field}: ${rule}` }]);
}

/**
 * Every broken rule of an input at once: `field`/`rule` name the first (what clients matched
 * before violations existed), `violations` lists them all; the message joins theirs.
 */
export function badUserInputData(violations: readonly InputViolation[]): GatewayErrorData {
  const [first, ...rest] = violations;
  if (first === undefined) return badUserInputData([{ field: "input", rule: "invalid", message: "Invalid input" }]);
  const message = rest.length === 0 ? first.message : [first, ...rest].map((v) => v.message).join("; ");
  return errorData(ErrorCode.BAD_USER_INPUT, message, { field: first.field, rule: first.rule, violations: [first, ...rest] });
}

export function badUserInputs(violations: readonly InputViolation[]): GraphQLError {
  return errorFromData(badUserInputData(violations));
}

/**
 * A request variable whose value does not coerce to its type: refused as a whole before
 * anything runs, so it keeps the HTTP 400 of a request error (GraphQL over HTTP), but it is the
 * caller's input like any other and says so. `field` is `$variable` plus the path inside it.
 */
export function badVariable(variable: string, path: string, rule: string, message: string, nodes?: readonly ASTNode[]): GraphQLError {
  const field = path === "" ? `$${variable}` : `$${variable}.${path}`;
  const data = badUserInputData([{ field, rule, message }]);
  return new GraphQLError(data.message, {
    ...(nodes === undefined ? {} : { nodes }),
    extensions: { ...data.extensions, variable, code: data.code, http: { status: 400 } },
  });
}

/**
 * `error` as it is (message, locations, path) with a code when it has none: every error the
 * gateway returns carries one. Errors without a code are graphql-js's own about the gateway's
 * answer (a null for a non-null field, say): internal failures, and said as such.
 */
export function withFallbackCode(error: GraphQLError): GraphQLError {
  if (typeof error.extensions["code"] === "string") return error;
  return new GraphQLError(error.message, {
    ...(error.nodes === undefined ? {} : { nodes: error.nodes }),
    ...(error.path === undefined ? {} : { path: error.path }),
    ...(error.originalError === undefined || error.originalError === null ? {} : { originalError: error.originalError }),
    extensions: { ...error.extensions, code: ErrorCode.INTERNAL_SERVER_ERROR },
  });
}

/** The task is not in the upstream's list (it lists the last three months). */
export function taskNotFound(kind: string, taskId: string, message: string): GraphQLError {
  return gatewayError(ErrorCode.NOT_FOUND, message, { kind, taskId });
}

/** A request that is not a GraphQL request the gateway accepts (malformed, or cross-site). */
export function badRequest(message: string): GraphQLError {
  return gatewayError(ErrorCode.BAD_REQUEST, message, {});
}

/** A body over MAX_BODY_BYTES, refused before it is parsed. */
export function requestTooLarge(limitBytes: number): GraphQLError {
  return gatewayError(ErrorCode.REQUEST_ENTITY_TOO_LARGE, `Request body too large: the limit is ${limitBytes} bytes (MAX_BODY_BYTES).`, { limitBytes });
}

/**
 * Automatic persisted queries: a hash-only request whose hash is not registered. The message is
 * the one Apollo's client (and others) look for before resending with the query text.
 */
export function persistedQueryNotFound(): GraphQLError {
  return gatewayError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound", {});
}

/** The cost budget (operation-limits.ts), reported as the validation error it is. */
export function costLimitExceeded(cost: number, maxCost: number, operation: ASTNode): GraphQLError {
  return errorFromData(
    errorData(
      ErrorCode.GRAPHQL_VALIDATION_FAILED,
      `Query cost ${cost} exceeds the budget of ${maxCost} (page sizes multiply the cost of what they select).`,
      { limit: "cost", maxCost, cost },
    ),
    operation,
  );
}

/** No or bad credentials: a 401 with the Bearer challenge. */
export function unauthenticated(message: string): GraphQLError {
  return gatewayError(ErrorCode.UNAUTHENTICATED, message, {});
}

/** A failure nobody planned for: said as nothing more than this (yoga masks the same way). */
export function unexpectedErrorData(): GatewayErrorData {
  return errorData(ErrorCode.INTERNAL_SERVER_ERROR, "Unexpected error.", {});
}
