/**
 * Who is calling. Structurally the non-null half of `Principal` in src/context.ts, so the
 * authenticators here stay independent of the schema layer (schema → resolvers → upstream).
 */
export interface AuthPrincipal {
  /**
   * Unique across kinds of credential (`apikey:alice` ≠ `jwt:alice`): what per-caller state such
   * as idempotency keys is scoped by. `name` alone is for logs.
   */
  readonly id: string;
  readonly name: string;
  readonly scopes: ReadonlySet<string>;
}

/** How a caller authenticated; the prefix of its `id`. */
export type PrincipalKind = "apikey" | "jwt" | "anonymous";

export function principalId(kind: PrincipalKind, name: string): string {
  return `${kind}:${name}`;
}

/** Every scope the gateway knows (design.md "Scopes"). */
export const GATEWAY_SCOPES = ["export:read", "export:create", "export:delete"] as const;

/** `GATEWAY_AUTH=off`: one principal that may do everything. */
export function anonymousPrincipal(scopes: readonly string[] = GATEWAY_SCOPES): AuthPrincipal {
  return { id: principalId("anonymous", "anonymous"), name: "anonymous", scopes: new Set(scopes) };
}
