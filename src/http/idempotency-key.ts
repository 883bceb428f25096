/**
 * Idempotency for one request: the resolvers' `IdempotencyRunner` (context.ts) bound to the
 * caller, so keys are scoped to the principal (two callers never share a key) and records live
 * in the configured store (memory or Redis, 24 h). Installed by a yoga plugin that runs after
 * authentication, when the principal is known.
 */
import type { Plugin } from "graphql-yoga";
import type { Principal } from "../auth/principal.js";
import type { IdempotencyRunner } from "../context.js";
import { idempotencyFingerprint } from "../state/fingerprint.js";
import type { IdempotencyStore } from "../state/idempotency.js";
import { runIdempotent, type IdempotencyStorePhase } from "../state/run-idempotent.js";

export interface IdempotencyRunnerOptions {
  store: IdempotencyStore;
  /** Whose keys these are: the principal's kind-qualified id (an API key and a JWT subject may share a name). */
  scope: string;
  onStoreError?: (error: unknown, phase: IdempotencyStorePhase) => void;
  leaseMs?: number;
}

export function idempotencyRunnerFor(options: IdempotencyRunnerOptions): IdempotencyRunner {
  return {
    run: (key, request, create) =>
      runIdempotent({
        store: options.store,
        scope: options.scope,
        key,
        fingerprint: idempotencyFingerprint(request.operation, request.input),
        run: create,
        keyField: "idempotencyKey",
        ...(options.onStoreError ? { onStoreError: options.onStoreError } : {}),
        ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      }),
  };
}

export interface IdempotencyPluginOptions {
  store: IdempotencyStore;
  onStoreError?: (error: unknown, phase: IdempotencyStorePhase) => void;
}

/** Must come after the authentication plugin: it reads the principal that plugin put in the context. */
export function useIdempotency(options: IdempotencyPluginOptions): Plugin<{ principal?: Principal; idempotency?: IdempotencyRunner | null }> {
  return {
    onContextBuilding({ context, extendContext }) {
      const principal = context.principal ?? null;
      // No principal: scope-auth refuses every create before it could run.
      if (principal === null) return;
      extendContext({
        idempotency: idempotencyRunnerFor({
          store: options.store,
          scope: principal.id,
          ...(options.onStoreError ? { onStoreError: options.onStoreError } : {}),
        }),
      });
    },
  };
}
