/**
 * Bearer JWTs verified against a remote JWKS (`GATEWAY_JWKS_URL`, `_ISSUER`, `_AUDIENCE`) with
 * jose. The key set is cached and refetched at most once per cooldown on an unknown `kid`, so a
 * flood of forged tokens cannot turn into a flood of JWKS requests.
 */
import type { FetchImplementation, JWTPayload } from "jose";
import { principalId, type AuthPrincipal } from "./principal.js";

/** Asymmetric only: `none` and HMAC (a shared secret the JWKS would have to publish) are never accepted. */
const ASYMMETRIC_ALGORITHMS = new Set([
  "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519",
]);
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = ["RS256", "ES256"];

/** Compact JWS: three base64url segments. Anything else is not worth a JWKS lookup. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 16_384;

export interface JwtVerifierOptions {
  jwksUrl: string | URL;
  /** Checked when set; config should set both against anything but a test IdP. */
  issuer?: string | readonly string[] | null;
  audience?: string | readonly string[] | null;
  /** Pinned accepted `alg` values; asymmetric algorithms only. */
  algorithms?: readonly string[];
  clockToleranceSec?: number;
  /** JWKS fetch implementation (tests, proxies); jose's default is global fetch. */
  fetch?: FetchImplementation;
  jwksTimeoutMs?: number;
  /** Minimum time between JWKS refetches triggered by an unknown `kid`. */
  jwksCooldownMs?: number;
  /** How long a fetched key set is trusted before it is refreshed. */
  jwksCacheMaxAgeMs?: number;
  /** Why a token was refused (jose error code); for logs and metrics, never for the client. */
  onReject?: (reason: string) => void;
}

export interface JwtVerifier {
  /** The principal a valid token names, or null for anything else (never throws). */
  verify(token: string): Promise<AuthPrincipal | null>;
}

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const algorithms = [...(options.algorithms ?? DEFAULT_JWT_ALGORITHMS)];
  if (algorithms.length === 0) throw new Error("JWT verifier: at least one algorithm is required");
  for (const alg of algorithms) {
    if (!ASYMMETRIC_ALGORITHMS.has(alg)) throw new Error(`JWT verifier: algorithm ${alg} is not an accepted asymmetric algorithm`);
  }
  const jwksUrl = new URL(options.jwksUrl);
  // jose loads only when JWTs are configured (API keys alone never need it): ~30 ms of start-up.
  const jose = import("jose").then((lib) => ({
    jwtVerify: lib.jwtVerify,
    jwks: lib.createRemoteJWKSet(jwksUrl, {
      timeoutDuration: options.jwksTimeoutMs ?? 5_000,
      cooldownDuration: options.jwksCooldownMs ?? 30_000,
      cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
      ...(options.fetch ? { [lib.customFetch]: options.fetch } : {}),
    }),
  }));
  // A failed load surfaces in verify (every token refused), not as an unhandled rejection.
  jose.catch(() => undefined);
  const verifyOptions = {
    algorithms,
    clockTolerance: options.clockToleranceSec ?? 30,
    // A token without an expiry would be valid forever.
    requiredClaims: ["exp"],
    ...(options.issuer ? { issuer: toList(options.issuer) } : {}),
    ...(options.audience ? { audience: toList(options.audience) } : {}),
  };
  const reject = (reason: string): null => {
    options.onReject?.(reason);
    return null;
  };

  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return reject("ERR_JWT_MALFORMED");
      let payload: JWTPayload;
      try {
        const { jwtVerify, jwks } = await jose;
        ({ payload } = await jwtVerify(token, jwks, verifyOptions));
      } catch (error) {
        return reject(errorCode(error));
      }
      const name = subjectOf(payload);
      if (name === null) return reject("ERR_JWT_NO_SUBJECT");
      return { id: principalId("jwt", name), name, scopes: scopesOf(payload) };
    },
  };
}

function toList(value: string | readonly string[]): string[] {
  return typeof value === "string" ? [value] : [...value];
}

function subjectOf(payload: JWTPayload): string | null {
  for (const claim of [payload.sub, payload["client_id"], payload["azp"]]) {
    if (typeof claim === "string" && claim !== "") return claim;
  }
  return null;
}

/** `scope` is space-separated (RFC 8693 / 9068) or, from some IdPs, an array of strings. */
export function scopesOf(payload: JWTPayload): ReadonlySet<string> {
  const claim = payload["scope"];
  if (typeof claim === "string") return new Set(claim.split(/\s+/).filter((s) => s !== ""));
  if (Array.isArray(claim)) return new Set(claim.filter((s): s is string => typeof s === "string" && s !== ""));
  return new Set();
}

function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") return error.code;
  return "ERR_JWT_INVALID";
}
