/**
 * Operations run on graphql-js's own `execute` and `subscribe`, not yoga's default executor
 * (@graphql-tools/executor, a fork that adds @defer/@stream and abort checks per field, neither
 * of which the gateway uses: resolvers stop upstream reads through the request's signal).
 * Measured on the hot list (bench case 3's query, 200 connections, interleaved): the fork took
 * about 1.5 × the CPU per query of graphql-js and kept more memory in flight.
 */
import { execute, subscribe } from "graphql";
import type { Plugin } from "graphql-yoga";

export function useGraphQLJsExecution(): Plugin {
  return {
    onExecute: ({ setExecuteFn }) => setExecuteFn(execute),
    onSubscribe: ({ setSubscribeFn }) => setSubscribeFn(subscribe),
  };
}
