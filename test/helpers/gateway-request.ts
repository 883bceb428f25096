/**
 * What Apollo Server hands @apollo/gateway's executor for one operation: the tests that run a
 * real supergraph in process (federation, tracing through the router) call the executor with it.
 */
import type { GatewayGraphQLRequestContext, GatewaySchemaHash } from "@apollo/server-gateway-interface";
import { Kind, parse, type GraphQLSchema, type OperationDefinitionNode } from "graphql";

/** A logger for @apollo/gateway that says nothing. */
export const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export function gatewayRequestContext(schema: GraphQLSchema, query: string, variables: Record<string, unknown> = {}): GatewayGraphQLRequestContext {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operation === undefined) throw new Error("no operation");
  const store = new Map<string, string>();
  return {
    request: { query, variables },
    logger: quietLogger,
    schema,
    schemaHash: "test" as GatewaySchemaHash, // a branded string
    context: {},
    cache: {
      get: (key: string) => Promise.resolve(store.get(key)),
      set: (key: string, value: string) => Promise.resolve(void store.set(key, value)),
      delete: (key: string) => Promise.resolve(store.delete(key)),
    },
    queryHash: query,
    document,
    source: query,
    operationName: operation.name?.value ?? null,
    operation,
    metrics: {},
    overallCachePolicy: { replace: () => undefined, restrict: () => undefined, policyIfCacheable: () => null },
  };
}
