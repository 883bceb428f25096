/**
 * Resolver failures as GraphQL errors: upstream failures and refused windows through the
 * catalogue (reading/upstream-failures.ts says which code each gets), export-file failures as
 * EXPORT_* (exports/errors.ts). Anything else, already a GraphQLError or a bug, passes through
 * unchanged for the server's error masking.
 */
import { GraphQLError } from "graphql";
import { errorFromData } from "../errors.js";
import { exportFailureData } from "../exports/errors.js";
import { upstreamFailureData } from "../reading/upstream-failures.js";

export function toGatewayError(error: unknown): unknown {
  if (error instanceof GraphQLError) return error;
  const data = upstreamFailureData(error) ?? exportFailureData(error);
  return data === null ? error : errorFromData(data);
}

/** Runs resolver work and rethrows failures through `toGatewayError`. */
export async function withUpstreamErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toGatewayError(error);
  }
}
