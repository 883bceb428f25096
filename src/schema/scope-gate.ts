/**
 * Scope check before argument mapping. Pothos runs every field's `argMappers` (the validation
 * plugin's input rules, relay's global-id decoding) OUTSIDE all `wrapResolve` wrappers, so
 * scope-auth — wherever it sits in the plugin list — only runs after the input was validated:
 * a caller without `export:create` sending bad input would learn BAD_USER_INPUT, i.e. the
 * rules of a mutation it may not call. This plugin wraps outside the arg mappers
 * (`wrapArgMappers`) and checks a field's static `authScopes` (a plain `{ scope: true }` map,
 * any-of, as scope-auth reads it) first. Scope-auth still runs afterwards and stays the
 * authority; dynamic scope functions and `$all`/`$any` maps are left to it alone.
 */
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import type { GraphQLFieldResolver } from "graphql";
import { isScope, type Scope } from "../auth/principal.js";
import type { RequestContext } from "../context.js";
import { authError, hasScope } from "./auth.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Pothos plugins register their type in this global namespace.
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      scopeGate: ScopeGatePlugin<Types>;
    }
  }
}

/** The scopes of a static `{ "export:read": true }` map; null when anything else decides. */
export function staticScopes(authScopes: unknown): Scope[] | null {
  if (authScopes === null || typeof authScopes !== "object" || Array.isArray(authScopes)) return null;
  const entries = Object.entries(authScopes);
  if (entries.length === 0) return null;
  const scopes: Scope[] = [];
  for (const [name, value] of entries) {
    if (!isScope(name) || value !== true) return null;
    scopes.push(name);
  }
  return scopes;
}

export class ScopeGatePlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapArgMappers(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> | undefined {
    if (resolver === undefined || fieldConfig.argMappers.length === 0) return resolver;
    const scopes = staticScopes((fieldConfig.pothosOptions as { authScopes?: unknown }).authScopes);
    if (scopes === null) return resolver;
    return (parent, args, context, info) => {
      // The builder's Context is RequestContext; other contexts carry no principal and fail closed.
      const principal = (context as Partial<Pick<RequestContext, "principal">>).principal ?? null;
      if (!scopes.some((scope) => hasScope(principal, scope))) throw authError(principal, scopes);
      return resolver(parent, args, context, info);
    };
  }
}

export const SCOPE_GATE_PLUGIN = "scopeGate" as const;
SchemaBuilder.registerPlugin(SCOPE_GATE_PLUGIN, ScopeGatePlugin);
