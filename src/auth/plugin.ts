/**
 * Yoga plugin: authenticate every GraphQL request before it is parsed or validated (so an
 * unauthenticated caller learns nothing about the schema, not even through validation errors),
 * answer 401 on failure, and put the principal into the context.
 * GraphiQL's HTML page and the health endpoints are not GraphQL requests and stay open. Other
 * routes that need a caller (the CSV download) use the same `RequestAuthentication`: one check
 * per HTTP request, the same refusals, the same log line.
 */
import type { Plugin } from "graphql-yoga";
import type { AuthFailureReason, AuthResult, Authenticator } from "./authenticate.js";
import type { AuthPrincipal } from "./principal.js";

export interface AuthenticationPluginOptions {
  authenticate: Authenticator;
  /** Called once per refused request (logs, metrics). */
  onFailure?: (event: { reason: AuthFailureReason; request: Request }) => void;
}

export interface AuthenticatedContext {
  principal: AuthPrincipal;
}

/** Who sent a request, checked once per HTTP request however often it is asked. */
export type RequestAuthentication = (request: Request) => Promise<AuthResult>;

export function requestAuthentication(options: AuthenticationPluginOptions): RequestAuthentication {
  // One check per HTTP request, however many batched operations it carries.
  const results = new WeakMap<Request, Promise<AuthResult>>();
  return (request) => {
    let result = results.get(request);
    if (result === undefined) {
      result = options.authenticate(request.headers).then((r) => {
        if (!r.ok) options.onFailure?.({ reason: r.reason, request });
        return r;
      });
      results.set(request, result);
    }
    return result;
  };
}

export function useAuthentication(options: AuthenticationPluginOptions | RequestAuthentication): Plugin<AuthenticatedContext> {
  const authenticateOnce = typeof options === "function" ? options : requestAuthentication(options);

  return {
    async onParams({ request }) {
      const result = await authenticateOnce(request);
      // Thrown, not set as the result: later params hooks (yoga's own "Must provide query
      // string.", persisted queries) must not run for a refused caller or answer in its place.
      if (!result.ok) throw result.error;
    },
    async onContextBuilding({ context, extendContext }) {
      const result = await authenticateOnce(context.request);
      // Unreachable after onParams refused; kept so no path can build a context without a principal.
      if (!result.ok) throw result.error;
      extendContext({ principal: result.principal });
    },
  };
}
