/**
 * GraphiQL at /graphql: what it shows on first open, and its page rendered from the bundled
 * assets (@graphql-yoga/render-graphiql: no CDN, works offline).
 */
import type { GraphiQLOptions } from "graphql-yoga";
import type { GatewayConfig } from "./config.js";
import { CSRF_HEADERS } from "./http/csrf.js";

/** What GraphiQL shows on first open: the tasks connection, ready to run. */
export const DEFAULT_GRAPHIQL_QUERY = `# Ctrl+Enter (or the ▶ button) runs the query.
query Tasks {
  tasks(first: 20) {
    totalCount
    edges {
      cursor
      node {
        taskId
        name
        status
        createdAt
        downloadUrl
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`;

export function graphiqlOptions(config: GatewayConfig): GraphiQLOptions | false {
  if (!config.graphiql) return false;
  return {
    title: "cdn-export-gateway",
    defaultQuery: DEFAULT_GRAPHIQL_QUERY,
    // GraphiQL runs subscriptions over SSE as a GET, which CSRF prevention refuses without a
    // preflight header. The page sends one on every request: only a same-origin page (or one the
    // CORS policy admits) can, so CSRF prevention stays exactly as strict for everyone else.
    additionalHeaders: { [CSRF_HEADERS[0]]: "graphiql" },
    // With auth on, the Headers tab starts with the one header the user has to fill in.
    ...(config.auth.mode === "required" ? { defaultHeaders: JSON.stringify({ Authorization: "Bearer <your API key or JWT>" }, null, 2) } : {}),
  };
}

/**
 * The page is ~9 MB of inline scripts, so the renderer loads on the first page view (not at
 * start-up) and each rendering is kept, encoded once, per option set.
 */
export function bundledGraphiQL(): (options: GraphiQLOptions) => Promise<Uint8Array<ArrayBuffer>> {
  const pages = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  return (options) => {
    const key = JSON.stringify(options);
    let page = pages.get(key);
    if (page === undefined) {
      page = import("@graphql-yoga/render-graphiql").then(({ renderGraphiQL }) => new TextEncoder().encode(renderGraphiQL(options)));
      if (pages.size < 8) pages.set(key, page);
    }
    return page;
  };
}
