/**
 * CSRF prevention for GraphQL requests: a browser can send a "simple" cross-site request
 * (GET, or POST as form/text) without a CORS preflight. Such requests are refused unless they
 * carry a header a plain HTML form cannot set. JSON POSTs (what every GraphQL client sends)
 * pass untouched; GraphiQL's HTML page is not a GraphQL request and is not affected.
 */
import { createGraphQLError, type Plugin } from "graphql-yoga";

export const CSRF_HEADERS = ["x-graphql-yoga-csrf", "graphql-require-preflight", "apollo-require-preflight", "x-apollo-operation-name"] as const;

const SIMPLE_CONTENT_TYPES = new Set(["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]);

export function isPreflighted(request: Request): boolean {
  if (CSRF_HEADERS.some((name) => request.headers.has(name))) return true;
  const contentType = request.headers.get("content-type");
  if (contentType === null) return false;
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return mediaType !== "" && !SIMPLE_CONTENT_TYPES.has(mediaType);
}

export function useCsrfPrevention(): Plugin {
  return {
    onRequestParse({ request }) {
      if (request.method === "OPTIONS" || isPreflighted(request)) return;
      throw createGraphQLError(
        `This request could be a cross-site request forgery: send it as a JSON POST (content-type: application/json), or add a "${CSRF_HEADERS[0]}" header.`,
        { extensions: { code: "BAD_REQUEST", http: { status: 400 } } },
      );
    },
  };
}
