/**
 * Automatic persisted queries (Apollo's `persistedQuery` extension, sha256), with yoga's own
 * APQ plugin. A client first sends only the hash; a hash the gateway does not know is answered
 * `PersistedQueryNotFound`, and the client sends the query with its hash, which registers it.
 * Later requests send the hash alone. Not installed in trusted-documents mode, where only the
 * manifest's documents run.
 *
 * Around the plugin: its errors come from the catalogue, and the store failing (Redis down)
 * never fails a request: a lookup that fails is a miss (the client sends the query), a
 * registration that fails is told to `onStoreError` and the query runs anyway.
 */
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { useAPQ } from "@graphql-yoga/plugin-apq";
import { badRequest, persistedQueryNotFound } from "../errors.js";
import type { PersistedQueryStore } from "../state/persisted-queries.js";

export interface AutomaticPersistedQueriesOptions {
  store: PersistedQueryStore;
  onStoreError?: (error: unknown, phase: "get" | "set") => void;
}

export function useAutomaticPersistedQueries(options: AutomaticPersistedQueriesOptions): Plugin {
  const { store, onStoreError } = options;
  const apq = useAPQ({
    store: {
      get: (hash) =>
        store.get(hash).catch((error: unknown) => {
          onStoreError?.(error, "get");
          return null;
        }),
      set: (hash, query) =>
        store.set(hash, query).catch((error: unknown) => {
          onStoreError?.(error, "set");
        }),
    },
  });
  const onParams = apq.onParams;
  return {
    async onParams(payload) {
      if (onParams === undefined) return;
      try {
        await onParams(payload);
      } catch (error) {
        throw catalogued(error);
      }
    },
  };
}

/** The plugin's two refusals, as the catalogue builds them. */
function catalogued(error: unknown): unknown {
  if (!(error instanceof GraphQLError)) return error;
  if (error.message === "PersistedQueryNotFound") return persistedQueryNotFound();
  if (error.message === "PersistedQueryMismatch") return badRequest("The persistedQuery sha256Hash is not the sha256 of the query sent with it.");
  return error;
}
