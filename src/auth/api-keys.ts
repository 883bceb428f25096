/**
 * Static API keys (`GATEWAY_API_KEYS`). Only keyed digests are held, never the keys, and the ring
 * prints as a list of names: a key cannot leak through a log line, JSON or `util.inspect`.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { inspect } from "node:util";
import { principalId, type AuthPrincipal } from "./principal.js";

/** A key as config holds it: a plain string or a redacting wrapper (config's `SecretString`). */
export type ApiKeySecret = string | { reveal(): string };

export interface ApiKeyEntry {
  name: string;
  key: ApiKeySecret;
  scopes: readonly string[];
}

interface HeldKey {
  principal: AuthPrincipal;
  digest: Buffer;
}

export class ApiKeyRing {
  readonly #held: readonly HeldKey[];
  /** Per-ring HMAC key: digests are fixed-length and useless outside this process. */
  readonly #pepper: Buffer;

  constructor(entries: readonly ApiKeyEntry[]) {
    this.#pepper = randomBytes(32);
    const names = new Set<string>();
    const digests: Buffer[] = [];
    const held: HeldKey[] = [];
    entries.forEach((entry, index) => {
      const key = typeof entry.key === "string" ? entry.key : entry.key.reveal();
      // Messages name the entry, never the key.
      if (entry.name.trim() === "") throw new Error(`API key entry ${index}: name must not be empty`);
      if (key === "") throw new Error(`API key "${entry.name}": key must not be empty`);
      if (names.has(entry.name)) throw new Error(`API key "${entry.name}": name is used twice`);
      const digest = this.#digest(key);
      if (digests.some((d) => d.equals(digest))) throw new Error(`API key "${entry.name}": same key as another entry`);
      names.add(entry.name);
      digests.push(digest);
      held.push({ principal: { id: principalId("apikey", entry.name), name: entry.name, scopes: new Set(entry.scopes) }, digest });
    });
    this.#held = held;
  }

  get size(): number {
    return this.#held.length;
  }

  names(): string[] {
    return this.#held.map((h) => h.principal.name);
  }

  /**
   * The principal whose key equals `token`, or null. Constant time in the token and in which key
   * matched: both sides are digested to 32 bytes and every key is compared, no early exit.
   */
  authenticateApiKey(token: string): AuthPrincipal | null {
    const digest = this.#digest(token);
    let found: AuthPrincipal | null = null;
    for (const held of this.#held) {
      const equal = timingSafeEqual(held.digest, digest);
      if (equal && found === null) found = held.principal;
    }
    return found;
  }

  toJSON(): { apiKeys: string[]; keys: "<redacted>" } {
    return { apiKeys: this.names(), keys: "<redacted>" };
  }

  toString(): string {
    return `ApiKeyRing(${this.names().join(", ")}; keys <redacted>)`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  #digest(value: string): Buffer {
    return createHmac("sha256", this.#pepper).update(value, "utf8").digest();
  }
}

export function createApiKeyRing(entries: readonly ApiKeyEntry[]): ApiKeyRing {
  return new ApiKeyRing(entries);
}
