/**
 * Where the shared state lives (README "Running several replicas"): one Redis (`REDIS_URL`), a
 * Sentinel-managed primary (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`) or a Redis Cluster
 * (`REDIS_CLUSTER_NODES`). Exactly one of the three, or none (in-process state). The variables'
 * own rules are zod schemas merged into the gateway's environment (config.ts); the rules across
 * them are `redisConfig`'s, reported as a variable and a problem, never a value.
 */
import { z } from "zod";
import { envDefault, envOptional, envText, envUrl, SecretString } from "./config-env.js";

export interface RedisNodeAddress {
  host: string;
  port: number;
}

interface RedisAuth {
  /** `REDIS_USERNAME` (ACL user); null = the default user. */
  username: string | null;
  /** `REDIS_PASSWORD`; null = no AUTH. */
  password: SecretString | null;
}

export type RedisConfig =
  | { mode: "standalone"; url: SecretString }
  | ({ mode: "sentinel"; sentinels: RedisNodeAddress[]; name: string } & RedisAuth)
  | ({ mode: "cluster"; nodes: RedisNodeAddress[] } & RedisAuth);

const NODE_LIST_SHAPE = "must be comma-separated host:port pairs (e.g. 10.0.0.1:26379,10.0.0.2:26379)";

/** `host:port`, `[v6]:port`; the message names the entry by position (hosts are not secret, but stay uniform). */
const envNodeList: z.ZodType<RedisNodeAddress[], string> = z.string().transform((raw, ctx) => {
  const nodes = new Map<string, RedisNodeAddress>();
  const entries = raw
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const [index, entry] of entries.entries()) {
    const node = nodeOf(entry);
    if (node === null) {
      ctx.addIssue(`${NODE_LIST_SHAPE}; entry ${index + 1} is not one`);
      return z.NEVER;
    }
    nodes.set(`${node.host}:${node.port}`, node);
  }
  if (nodes.size === 0) {
    ctx.addIssue(NODE_LIST_SHAPE);
    return z.NEVER;
  }
  return [...nodes.values()];
});

function nodeOf(entry: string): RedisNodeAddress | null {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
  const port = Number(match?.[2]);
  const host = match?.[1];
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) return null;
  return { host: host.startsWith("[") ? host.slice(1, -1) : host, port };
}

/** The variables' own rules (merged into the gateway's environment schema). */
export const REDIS_ENV = {
  REDIS_URL: envOptional(envUrl(["redis", "rediss"])),
  REDIS_SENTINELS: envOptional(envNodeList),
  REDIS_SENTINEL_NAME: envOptional(envText.regex(/^[A-Za-z0-9._-]{1,128}$/, "must be 1–128 letters, digits, '.', '_' or '-'")),
  REDIS_CLUSTER_NODES: envOptional(envNodeList),
  REDIS_USERNAME: envOptional(envText.regex(/^[!-~]{1,128}$/, "must be 1–128 printable characters without spaces")),
  REDIS_PASSWORD: envOptional(envText),
  REDIS_KEY_PREFIX: envDefault(envText.regex(/^[A-Za-z0-9:._-]{1,64}$/, "must be 1–64 letters, digits, ':', '.', '_' or '-'"), "cdn-export-gateway:"),
};

type RedisVars = z.output<z.ZodObject<typeof REDIS_ENV>>;

export type RedisConfigResult = { ok: true; value: RedisConfig | null } | { ok: false; variable: string; problem: string };

const CHOOSE_ONE = "choose one of REDIS_URL (one Redis), REDIS_SENTINELS (a Sentinel-managed primary) and REDIS_CLUSTER_NODES (a Redis Cluster)";

/** The rules across the variables: at most one way to reach Redis, and settings only where they apply. */
export function redisConfig(vars: RedisVars): RedisConfigResult {
  const problem = (variable: string, text: string): RedisConfigResult => ({ ok: false, variable, problem: text });
  const ways = (["REDIS_URL", "REDIS_SENTINELS", "REDIS_CLUSTER_NODES"] as const).filter((name) => vars[name] !== undefined);
  const [first, second] = ways;
  if (second !== undefined) return problem(second, `is set together with ${first ?? "another"}: ${CHOOSE_ONE}`);
  if (vars.REDIS_SENTINEL_NAME !== undefined && vars.REDIS_SENTINELS === undefined) {
    return problem("REDIS_SENTINEL_NAME", "is set without REDIS_SENTINELS");
  }
  const auth: RedisAuth = {
    username: vars.REDIS_USERNAME ?? null,
    password: vars.REDIS_PASSWORD === undefined ? null : new SecretString(vars.REDIS_PASSWORD),
  };
  const authVariable = vars.REDIS_USERNAME !== undefined ? "REDIS_USERNAME" : "REDIS_PASSWORD";
  if (vars.REDIS_URL !== undefined) {
    if (auth.username !== null || auth.password !== null) {
      return problem(authVariable, "is set together with REDIS_URL, which carries its own credentials (redis://user:password@host)");
    }
    return { ok: true, value: { mode: "standalone", url: new SecretString(vars.REDIS_URL) } };
  }
  if (vars.REDIS_SENTINELS !== undefined) {
    return { ok: true, value: { mode: "sentinel", sentinels: vars.REDIS_SENTINELS, name: vars.REDIS_SENTINEL_NAME ?? "mymaster", ...auth } };
  }
  if (vars.REDIS_CLUSTER_NODES !== undefined) return { ok: true, value: { mode: "cluster", nodes: vars.REDIS_CLUSTER_NODES, ...auth } };
  if (auth.username !== null || auth.password !== null) {
    return problem(authVariable, "is set without REDIS_SENTINELS or REDIS_CLUSTER_NODES");
  }
  return { ok: true, value: null };
}

/** Secret values for the log scrubber: a password in REDIS_URL or REDIS_PASSWORD. */
export function redisSecrets(config: RedisConfig | null): string[] {
  if (config === null) return [];
  if (config.mode === "standalone") {
    const password = new URL(config.url.reveal()).password;
    return password === "" ? [] : [password, decodeURIComponent(password)];
  }
  return config.password === null ? [] : [config.password.reveal()];
}
