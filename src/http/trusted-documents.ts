/**
 * Trusted documents (`TRUSTED_DOCUMENTS`): the gateway runs only the operations of a manifest
 * the frontend build emitted, by id. Anything else is refused with PERSISTED_QUERY_ONLY (HTTP
 * 400) before parsing, so it costs no validation and no upstream call. Built on
 * @graphql-yoga/plugin-persisted-operations with `allowArbitraryOperations: false`.
 *
 * A request names its document in any of the common ways:
 * - `{"documentId": "<id>"}` (GraphQL-over-HTTP draft, GraphQL Codegen client preset; `sha256:<hex>` too),
 * - `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<id>"}}}` (Apollo),
 * - GET `?documentId=<id>` or `?extensions={"persistedQuery":…}`.
 * A request that sends a `query` text is refused even when it also sends an id.
 */
import type { GraphQLError } from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";
import { defaultExtractPersistedOperationId, usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import { ErrorCode, gatewayError, type ErrorExtensionsByCode } from "../errors.js";
import { findTrustedDocument } from "./trusted-documents-manifest.js";

export type TrustedDocumentRefusal = NonNullable<ErrorExtensionsByCode["PERSISTED_QUERY_ONLY"]["reason"]>;

export interface TrustedDocumentsOptions {
  /** Document id → document text (see trusted-documents-manifest.ts). */
  documents: ReadonlyMap<string, string>;
  /** Told about every refusal (logs); never given the query text. */
  onRefused?: (event: { reason: TrustedDocumentRefusal; request: Request }) => void;
}

const MESSAGES: Record<TrustedDocumentRefusal, string> = {
  "arbitrary-operation":
    "This gateway only runs trusted documents: send the id of a document from its manifest as documentId (or extensions.persistedQuery.sha256Hash), not a query text",
  "unknown-document": "This gateway only runs trusted documents, and the document id sent is not in its manifest",
  "missing-document-id": "This gateway only runs trusted documents: send documentId (or extensions.persistedQuery.sha256Hash)",
};

export function trustedDocumentRefusal(reason: TrustedDocumentRefusal): GraphQLError {
  return gatewayError(ErrorCode.PERSISTED_QUERY_ONLY, MESSAGES[reason], { reason });
}

/** Apollo's extension first, then `documentId` in the body, then in a GET query string. */
export function extractDocumentId(params: GraphQLParams, request: Request): string | null {
  const apollo = defaultExtractPersistedOperationId(params, request, {});
  if (apollo !== null) return apollo;
  // `documentId` is not a field of yoga's GraphQLParams type, but the JSON body parser keeps it.
  const fromBody: unknown = Reflect.get(params, "documentId");
  if (typeof fromBody === "string" && fromBody !== "") return fromBody;
  if (request.method === "GET") {
    const fromQuery = new URL(request.url).searchParams.get("documentId");
    if (fromQuery !== null && fromQuery !== "") return fromQuery;
  }
  return null;
}

/**
 * The same rules for an operation that does not come through yoga's params (graphql-ws, whose
 * messages always carry a `query` string: an empty one stands for "none"): the manifest's
 * document for the id sent, or why it is refused.
 */
export function trustedDocumentFor(
  documents: ReadonlyMap<string, string>,
  params: GraphQLParams,
  request: Request,
): { query: string } | { refusal: TrustedDocumentRefusal } {
  if (typeof params.query === "string" && params.query !== "") return { refusal: "arbitrary-operation" };
  const id = extractDocumentId(params, request);
  if (id === null) return { refusal: "missing-document-id" };
  const query = findTrustedDocument(documents, id);
  return query === null ? { refusal: "unknown-document" } : { query };
}

export function useTrustedDocuments(options: TrustedDocumentsOptions): Plugin {
  const refuse =
    (reason: TrustedDocumentRefusal) =>
    ({ request }: { request: Request }): GraphQLError => {
      options.onRefused?.({ reason, request });
      return trustedDocumentRefusal(reason);
    };
  return usePersistedOperations({
    allowArbitraryOperations: false,
    extractPersistedOperationId: extractDocumentId,
    getPersistedOperation: (id) => findTrustedDocument(options.documents, id),
    customErrors: {
      persistedQueryOnly: refuse("arbitrary-operation"),
      notFound: refuse("unknown-document"),
      keyNotFound: refuse("missing-document-id"),
    },
  });
}
