/**
 * Malformed requests get a plain 400 that repeats nothing of the request. yoga's JSON body
 * parser puts the `JSON.parse` message into `extensions.originalError`, and Node's message
 * quotes the body it choked on (which may hold a key); a GET with non-JSON `variables` or
 * `extensions` fails inside the parser with a bare SyntaxError, which would become a 500.
 */
import type { Plugin } from "graphql-yoga";
import { GraphQLError } from "graphql";
import { badRequest } from "../errors.js";

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
    // Only yoga's JSON body parser attaches `originalError` (a BAD_REQUEST, "POST body sent
    // invalid JSON."): the same refusal again, without the text that quoted the body.
    return error.extensions["originalError"] === undefined ? error : badRequest(error.message);
  }
  if (error instanceof SyntaxError) return badRequest(MALFORMED_PARAMS);
  return error;
}
