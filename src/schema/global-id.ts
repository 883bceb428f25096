/**
 * Relay global ids: the relay plugin's encoding (base64 of `Typename:localId`), with refusals
 * turned into BAD_USER_INPUT on the `id` argument instead of untyped errors.
 */
import { decodeGlobalID as decodeRelayGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import type { GraphQLError } from "graphql";
import { badUserInput } from "../errors.js";

/** The only type `node(id)` can load. */
export const NODE_TYPES: ReadonlySet<string> = new Set(["ExportTask"]);

function refuse(): GraphQLError {
  return badUserInput("id", "global-id", "id: not a global id this gateway issued");
}

export function encodeGlobalId(typename: string, localId: string): string {
  return encodeGlobalID(typename, localId);
}

export function decodeGlobalId(globalId: string): { typename: string; id: string } {
  try {
    return decodeRelayGlobalID(globalId);
  } catch {
    throw refuse();
  }
}

/** For `node(id)`: refuses ids of types that are not nodes before anything is read. */
export function requireNodeType(typename: string): void {
  if (!NODE_TYPES.has(typename)) throw refuse();
}
