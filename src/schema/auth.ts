/**
 * Scope checks for the schema: which scopes a request holds (from `context.principal`) and the
 * error a refusal becomes. No principal → UNAUTHENTICATED; a principal without the scope →
 * FORBIDDEN naming the scopes it lacks.
 */
import type { GraphQLError } from "graphql";
import { AuthScopeFailureType, type AuthFailure, type ForbiddenResult } from "@pothos/plugin-scope-auth";
import type { Principal, Scope } from "../auth/principal.js";
import type { RequestContext } from "../context.js";
import { ErrorCode, gatewayError, unauthenticated } from "../errors.js";

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal?.scopes.has(scope) ?? false;
}

export function authScopesFor(context: RequestContext): Record<Scope, boolean> {
  return {
    "export:read": hasScope(context.principal, "export:read"),
    "export:create": hasScope(context.principal, "export:create"),
    "export:delete": hasScope(context.principal, "export:delete"),
  };
}

export function authError(principal: Principal, requiredScopes: readonly string[]): GraphQLError {
  if (principal === null) return unauthenticated("Authentication required");
  const scopes = [...requiredScopes];
  return gatewayError(
    ErrorCode.FORBIDDEN,
    scopes.length > 0 ? `Missing scope ${scopes.join(", ")}` : "Not allowed",
    scopes.length > 0 ? { requiredScopes: scopes } : {},
  );
}

/** For code paths scope-auth does not wrap (federation `_entities`): throws like it would. */
export function requireScope(context: RequestContext, scope: Scope): void {
  if (!hasScope(context.principal, scope)) throw authError(context.principal, [scope]);
}

function failedScopes(failure: AuthFailure): string[] {
  switch (failure.kind) {
    case AuthScopeFailureType.AuthScope:
    case AuthScopeFailureType.GrantedScope:
      return [failure.scope];
    case AuthScopeFailureType.AnyAuthScopes:
    case AuthScopeFailureType.AllAuthScopes:
      return failure.failures.flatMap(failedScopes);
    default:
      return [];
  }
}

export function unauthorizedError(
  _parent: unknown,
  context: RequestContext,
  _info: unknown,
  result: ForbiddenResult,
): GraphQLError {
  return authError(context.principal, [...new Set(failedScopes(result.failure))]);
}
