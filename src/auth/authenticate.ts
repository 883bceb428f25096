/**
 * `Authorization: Bearer <token>` → a principal: an API key first, then a JWT when configured.
 * Failures carry one fixed message per case and nothing about which check failed, so a client
 * cannot probe which keys, issuers or algorithms exist. Scopes are enforced by the schema.
 */
import type { GraphQLError } from "graphql";
import { unauthenticated } from "../errors.js";
import type { ApiKeyRing } from "./api-keys.js";
import type { JwtVerifier } from "./jwt.js";
import { anonymousPrincipal, type AuthPrincipal } from "./principal.js";

export type AuthMode = "required" | "off";

/** Why a request was refused: for logs and metrics only. */
export type AuthFailureReason = "missing" | "malformed" | "invalid";

export type AuthResult =
  | { ok: true; principal: AuthPrincipal }
  | { ok: false; reason: AuthFailureReason; error: GraphQLError };

/** Fetch-style headers (yoga's may be a ponyfill, not the global class) or node's `IncomingHttpHeaders`. */
export interface FetchHeadersLike {
  get(name: string): string | null;
}
export type HeadersLike = FetchHeadersLike | Readonly<Record<string, string | readonly string[] | undefined>>;

export type Authenticator = (headers: HeadersLike) => Promise<AuthResult>;

export interface AuthenticatorOptions {
  mode: AuthMode;
  apiKeys?: ApiKeyRing | null;
  jwt?: JwtVerifier | null;
  /** Scopes of the anonymous principal in mode `off`. */
  allScopes?: readonly string[];
}

const MESSAGES: Record<AuthFailureReason, string> = {
  missing: "Authentication required: send Authorization: Bearer <token>",
  malformed: "Authentication required: send Authorization: Bearer <token>",
  invalid: "Invalid or expired credentials",
};

/** The 401 every refusal uses (the catalogue adds the status and the Bearer challenge). */
export function unauthenticatedError(reason: AuthFailureReason): GraphQLError {
  return unauthenticated(MESSAGES[reason]);
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  if (options.mode === "off") {
    const principal = anonymousPrincipal(options.allScopes === undefined ? {} : { scopes: options.allScopes });
    return () => Promise.resolve({ ok: true, principal });
  }
  const apiKeys = options.apiKeys && options.apiKeys.size > 0 ? options.apiKeys : null;
  const jwt = options.jwt ?? null;
  if (apiKeys === null && jwt === null) {
    throw new Error("Authentication is required but neither API keys nor a JWKS URL is configured");
  }
  const refuse = (reason: AuthFailureReason): AuthResult => ({ ok: false, reason, error: unauthenticatedError(reason) });

  return async (headers) => {
    const token = bearerToken(headers);
    if (token === undefined) return refuse("missing");
    if (token === null) return refuse("malformed");
    const byKey = apiKeys?.authenticateApiKey(token) ?? null;
    if (byKey !== null) return { ok: true, principal: byKey };
    const byJwt = jwt === null ? null : await jwt.verify(token);
    return byJwt === null ? refuse("invalid") : { ok: true, principal: byJwt };
  };
}

/** The bearer token; `undefined` when there is no Authorization header, `null` when it is not Bearer. */
export function bearerToken(headers: HeadersLike): string | null | undefined {
  const raw = headerValue(headers, "authorization");
  if (raw === undefined) return undefined;
  if (raw === null) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(raw.trim());
  return match?.[1] ?? null;
}

/** One header value; `null` when it was sent more than once (ambiguous, refused). */
function headerValue(headers: HeadersLike, name: string): string | null | undefined {
  if (isFetchHeaders(headers)) return headers.get(name) ?? undefined;
  const value = headers[name];
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (value.length === 1) return value[0];
  return value.length === 0 ? undefined : null;
}

function isFetchHeaders(headers: HeadersLike): headers is FetchHeadersLike {
  return typeof headers.get === "function";
}
