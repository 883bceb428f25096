/**
 * Trusted-document manifests as frontend build tools emit them, read once at start-up:
 *
 * - a flat object `{ "<id>": "<document>" }`: GraphQL Codegen's client preset
 *   (`persistedDocuments: true` → persisted-documents.json, ids are sha256 hashes) and Relay's
 *   `persisted_queries.json`;
 * - Apollo's `{ "format": "apollo-persisted-query-manifest", "version": 1,
 *   "operations": [{ "id", "body", "name", "type" }] }` (generate-persisted-query-manifest).
 *
 * Every document must parse as GraphQL, so a truncated or foreign file stops start-up instead of
 * failing one request at a time.
 */
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { z } from "zod";

export interface TrustedDocuments {
  /** Where the manifest was read from (for the start-up log line). */
  path: string;
  format: "map" | "apollo";
  /** Document id → document text. */
  documents: ReadonlyMap<string, string>;
}

/** A manifest that cannot be used; the message says why (never a document's text). */
export class ManifestError extends Error {
  override name = "ManifestError";
}

const mapManifest = z.record(z.string().min(1), z.string().min(1));
const apolloManifest = z.object({
  format: z.literal("apollo-persisted-query-manifest"),
  version: z.literal(1),
  operations: z.array(z.object({ id: z.string().min(1), body: z.string().min(1), name: z.string().optional(), type: z.string().optional() })),
});

const EXPECTED = 'expected {"<id>": "<document>", …} (GraphQL Codegen, Relay) or {"format": "apollo-persisted-query-manifest", "version": 1, "operations": […]} (Apollo)';

export function parseTrustedDocuments(json: unknown, path = "<inline>"): TrustedDocuments {
  let format: TrustedDocuments["format"];
  let entries: Array<[string, string]>;
  if (typeof json === "object" && json !== null && "format" in json) {
    const apollo = apolloManifest.safeParse(json);
    if (!apollo.success) throw new ManifestError(`is not a manifest this gateway reads: ${EXPECTED}`);
    format = "apollo";
    entries = apollo.data.operations.map((op) => [op.id, op.body]);
  } else {
    const map = mapManifest.safeParse(json);
    if (!map.success) throw new ManifestError(`is not a manifest this gateway reads: ${EXPECTED}`);
    format = "map";
    entries = Object.entries(map.data);
  }
  if (entries.length === 0) throw new ManifestError("holds no documents");
  const documents = new Map<string, string>();
  for (const [id, body] of entries) {
    if (documents.has(id) && documents.get(id) !== body) throw new ManifestError(`has two different documents with id ${id}`);
    try {
      parse(body);
    } catch (error) {
      throw new ManifestError(`has a document that is not valid GraphQL (id ${id}): ${error instanceof Error ? error.message : "parse error"}`);
    }
    documents.set(id, body);
  }
  return { path, format, documents };
}

export function readTrustedDocuments(path: string): TrustedDocuments {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ManifestError(`cannot be read (${typeof code === "string" ? code : "read error"}): ${path}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ManifestError(`is not JSON: ${path}`);
  }
  return parseTrustedDocuments(json, path);
}

/** The document for a client's id; `sha256:<hex>` (GraphQL-over-HTTP style) also finds `<hex>`. */
export function findTrustedDocument(documents: ReadonlyMap<string, string>, id: string): string | null {
  return documents.get(id) ?? (id.startsWith("sha256:") ? documents.get(id.slice("sha256:".length)) : undefined) ?? null;
}
