/**
 * Who is calling. Structurally the non-null half of `Principal` in src/context.ts, so the
 * authenticators here stay independent of the schema layer (schema → resolvers → upstream).
 */
export interface AuthPrincipal {
  readonly name: string;
  readonly scopes: ReadonlySet<string>;
}

/** Every scope the gateway knows (design.md "Scopes"). */
export const GATEWAY_SCOPES = ["export:read", "export:create", "export:delete"] as const;

/** `GATEWAY_AUTH=off`: one principal that may do everything. */
export function anonymousPrincipal(scopes: readonly string[] = GATEWAY_SCOPES): AuthPrincipal {
  return { name: "anonymous", scopes: new Set(scopes) };
}
