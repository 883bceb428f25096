/**
 * CSRF prevention: yoga's own plugin, with the headers GraphQL clients send. A browser can send
 * a "simple" cross-site request (GET, or a form/text POST) without a CORS preflight; such a
 * request must carry one of these headers, which a plain HTML form cannot set. JSON POSTs pass.
 * A refusal is a 400 that names the header to add.
 */
import type { Plugin } from "graphql-yoga";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { badRequest } from "../errors.js";

export const CSRF_HEADERS = ["x-graphql-yoga-csrf", "graphql-require-preflight", "apollo-require-preflight", "x-apollo-operation-name"] as const;

export function useCsrfPrevention(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: [...CSRF_HEADERS] });
  return {
    async onRequestParse(payload) {
      // A CORS preflight carries no operation (and no custom header by design).
      if (payload.request.method === "OPTIONS") return;
      try {
        await csrf.onRequestParse?.(payload);
      } catch {
        throw badRequest(
          `This request could be a cross-site request forgery: send it as a JSON POST (content-type: application/json), or add a "${CSRF_HEADERS[0]}" header.`,
        );
      }
    },
  };
}
