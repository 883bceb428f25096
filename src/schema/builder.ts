/** The one Pothos builder. Types live in their own files; `index.ts` assembles the schema. */
import SchemaBuilder from "@pothos/core";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import DirectivesPlugin from "@pothos/plugin-directives";
import FederationPlugin from "@pothos/plugin-federation";
import ValidationPlugin from "@pothos/plugin-validation";
import type { RequestContext } from "../context.js";
import { authScopesFor, unauthorizedError } from "./auth.js";
import { SCOPE_GATE_PLUGIN } from "./scope-gate.js";
import { validationError } from "./validation-errors.js";

export const builder = new SchemaBuilder<{
  Context: RequestContext;
  AuthScopes: { "export:read": boolean; "export:create": boolean; "export:delete": boolean };
  Scalars: { DateTime: { Input: string; Output: string } };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: { list: false; items: false };
  DefaultNodeNullability: false;
  // A number, or (filtered lists) a walk run only when the field is selected.
  Connection: { totalCount: number | (() => Promise<number>) };
}>({
  // Relay before scope-auth so auth sees parsed global ids; federation after auth (README order).
  // The order cannot make scope-auth beat input validation (arg mappers run outside every
  // resolver wrapper); the scope gate does that: FORBIDDEN before BAD_USER_INPUT.
  plugins: [SCOPE_GATE_PLUGIN, RelayPlugin, ScopeAuthPlugin, DirectivesPlugin, FederationPlugin, ValidationPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: authScopesFor,
    unauthorizedError,
  },
  validation: { validationError },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    edgesFieldOptions: { nullable: { list: false, items: false } },
    nodeFieldOptions: { nullable: false },
    // `nodes` is not in the contract; `node` is declared with ExportTask, the only node type
    // (export-task.ts), which resolves its own ids.
    nodesQueryOptions: false,
    nodeQueryOptions: false,
  },
});
