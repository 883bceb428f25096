/**
 * What an idempotent request asked for, as one stable hash: the same input in any key order
 * gives the same fingerprint; a different input under the same idempotency key does not.
 * The one fingerprint of the gateway: the idempotency runner (http/idempotency-key.ts) stores it.
 */
import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level; `undefined` members dropped (as JSON does). */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, member: unknown) => {
    if (member === null || typeof member !== "object" || Array.isArray(member)) return member;
    const entries = Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  });
  // JSON.stringify(undefined) is undefined; a fingerprint needs a string.
  return text ?? "null";
}

/** What an idempotent create asked for: the operation and its input (the key itself aside). */
export interface IdempotentRequest {
  operation: string;
  input: Readonly<Record<string, unknown>>;
}

/**
 * sha256 over the operation name and the canonical input without its idempotency key (top-level
 * `omit` members), so a retry that repeats the key matches and the same key on another operation
 * does not.
 */
export function idempotencyFingerprint(
  operation: string,
  input: Readonly<Record<string, unknown>>,
  omit: readonly string[] = ["idempotencyKey"],
): string {
  const kept = Object.fromEntries(Object.entries(input).filter(([name]) => !omit.includes(name)));
  return createHash("sha256").update(canonicalJson([operation, kept]), "utf8").digest("hex");
}
