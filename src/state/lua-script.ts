/**
 * Lua scripts run by SHA (EVALSHA), loaded with EVAL when the server answers NOSCRIPT (a
 * restarted, flushed or newly promoted Redis, or a Cluster node that never saw it). On a Cluster
 * ioredis routes each call by its first key; every key a script touches shares that key's hash
 * tag (`{…}`), so all of them live in the same slot.
 */
import { createHash } from "node:crypto";
import type { RedisClient } from "./redis.js";

export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

export async function runScript(redis: RedisClient, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return redis.eval(script.source, keys.length, ...keys, ...args);
  }
}

/** `{<tag>}`: the part of a key Redis Cluster hashes, so keys sharing it share a slot. */
export function hashTag(tag: string): string {
  return `{${tag}}`;
}
