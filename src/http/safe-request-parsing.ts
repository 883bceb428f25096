/**
 * Malformed requests get a plain 400 that repeats nothing of the request. yoga's JSON body
 * parser puts the `JSON.parse` message into `extensions.originalError`, and Node's message
 * quotes the body it choked on (which may hold a key); a GET with non-JSON `variables` or
 * `extensions` fails inside the parser with a bare SyntaxError, which would become a 500.
 */
import { createGraphQLError, type Plugin } from "graphql-yoga";
import { GraphQLError } from "graphql";

const MALFORMED_PARAMS = "Request parameters are malformed: variables and extensions must be JSON objects.";

export function useSafeRequestParsing(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (requestParser === undefined) return;
      const parse = requestParser;
      setRequestParser(async (request) => {
        try {
          return await parse(request);
        } catch (error) {
          throw sanitized(error);
        }
      });
    },
  };
}

function sanitized(error: unknown): unknown {
  if (error instanceof GraphQLError) {
    if (error.extensions["originalError"] === undefined) return error;
    const { originalError: _dropped, http, ...extensions } = error.extensions;
    // Without `spec`, yoga keeps the 400 for application/json clients too (as it did with the detail).
    const status = typeof http === "object" && http !== null && "status" in http && typeof http.status === "number" ? http.status : 400;
    return createGraphQLError(error.message, { extensions: { ...extensions, http: { status } } });
  }
  if (error instanceof SyntaxError) {
    return createGraphQLError(MALFORMED_PARAMS, { extensions: { code: "BAD_REQUEST", http: { status: 400 } } });
  }
  return error;
}
