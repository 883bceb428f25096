/**
 * Who is calling and what they may do: the one `Scope` and the one `Principal` of the gateway.
 * Authenticators produce principals; the schema checks their scopes; per-caller state
 * (idempotency keys) is scoped by their id.
 */

/** Every scope the gateway knows (design.md "Scopes"). */
export const SCOPES = ["export:read", "export:create", "export:delete"] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** An authenticated caller. */
export interface AuthPrincipal {
  /**
   * Unique across kinds of credential (`apikey:alice` ≠ `jwt:alice`): what per-caller state such
   * as idempotency keys is scoped by. `name` alone is for logs.
   */
  readonly id: string;
  readonly name: string;
  /** As granted: a JWT may carry scopes the gateway does not know; only `Scope`s grant anything. */
  readonly scopes: ReadonlySet<string>;
}

/** The caller of a request; null when nobody authenticated (the schema then refuses every field). */
export type Principal = AuthPrincipal | null;

/** How a caller authenticated; the prefix of its `id`. */
export type PrincipalKind = "apikey" | "jwt" | "anonymous";

export function principalId(kind: PrincipalKind, name: string): string {
  return `${kind}:${name}`;
}

/** `GATEWAY_AUTH=off` (and tests): one principal that may do everything, so schema rules still run. */
export function anonymousPrincipal(options: { name?: string; scopes?: readonly string[] } = {}): AuthPrincipal {
  const name = options.name ?? "anonymous";
  return { id: principalId("anonymous", name), name, scopes: new Set(options.scopes ?? SCOPES) };
}
