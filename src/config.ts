/**
 * Environment → one typed, validated configuration object (contract: design.md "Configuration").
 * Bad configuration throws ONE `ConfigError` whose message names the variable and the rule it
 * broke — never the value, which may be a secret. Secrets are held in wrappers that print as
 * `<redacted>` (Credentials for the AccessKey pair, SecretString for API keys).
 */
import { inspect } from "node:util";
import { z } from "zod";
import { GATEWAY_SCOPES } from "./auth/principal.js";
import { Credentials } from "./upstream/credentials.js";
import { LOG_LEVELS, type LogLevel } from "./observability/logger.js";
import { ManifestError, readTrustedDocuments, type TrustedDocuments } from "./http/trusted-documents-manifest.js";

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

/** A secret string that JSON, inspect and template literals print as `<redacted>`. */
export class SecretString {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return "<redacted>";
  }
  toString(): string {
    return "<redacted>";
  }
  [inspect.custom](): string {
    return "<redacted>";
  }
}

export type Scope = (typeof GATEWAY_SCOPES)[number];

export interface ApiKeyConfig {
  name: string;
  key: SecretString;
  scopes: Scope[];
}

export interface GatewayConfig {
  nodeEnv: string;
  listen: { host: string; port: number };
  upstream: {
    /** `emulator` when no credentials are set: main starts the embedded emulator. */
    mode: "real" | "emulator";
    /** Present in `real` mode; in `emulator` mode main builds them from the emulator's pair. */
    credentials: Credentials | null;
    endpoint: string;
    signatureVersion: "v3" | "v1";
    timeoutMs: number;
    maxAttempts: number;
    /** Upstream calls per second, whole deployment. */
    rateLimit: number;
    /** Freshness window for page reads; 0 = off. */
    cacheTtlMs: number;
  };
  /** May carry a password, so it is held like a secret: `.reveal()` for ioredis. */
  redisUrl: SecretString | null;
  /** Namespace of every Redis key and channel (`REDIS_KEY_PREFIX`): replicas sharing it share state. */
  redisKeyPrefix: string;
  auth: {
    mode: "required" | "off";
    apiKeys: ApiKeyConfig[];
    jwt: { jwksUrl: string; issuer: string | null; audience: string | null } | null;
  };
  graphiql: boolean;
  introspection: boolean;
  /** `TRUSTED_DOCUMENTS`: only the manifest's documents run, by id; null = any operation. */
  trustedDocuments: TrustedDocuments | null;
  /** `exportTaskUpdated` polling: backoff from min to max while a task is unchanged. */
  subscriptions: { pollMinMs: number; pollMaxMs: number };
  /** `"*"` = any origin; `[]` = same origin only. */
  corsOrigins: "*" | string[];
  logLevel: LogLevel;
  emulator: {
    /** For `npm run emulator`; the embedded emulator of `npm start` takes a free port. */
    port: number;
    accessKeyId: string | null;
    accessKeySecret: SecretString | null;
    taskSeconds: number;
  };
  limits: {
    maxAliases: number;
    maxDepth: number;
    maxTokens: number;
    maxDirectives: number;
    maxCost: number;
    maxBodyBytes: number;
  };
  /**
   * Prometheus exposition on a separate listener (`METRICS_HOST:METRICS_PORT`, path /metrics),
   * so it is never reachable through the public GraphQL port. `null` = off (METRICS_PORT=0).
   */
  metrics: { host: string; port: number } | null;
  shutdown: {
    /** After SIGTERM, /ready answers 503 this long before the listener closes (load balancers). */
    drainDelayMs: number;
    /** In-flight requests get this long to finish; then connections are cut. */
    timeoutMs: number;
  };
}

export type Env = Readonly<Record<string, string | undefined>>;

// ---- field parsers: each returns a value or throws ConfigError naming the variable ----

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (["on", "true", "1", "yes", "enabled"].includes(raw)) return true;
  if (["off", "false", "0", "no", "disabled"].includes(raw)) return false;
  throw new ConfigError(name, "must be on or off (also true/false, 1/0)");
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  const hit = allowed.find((a) => a === raw);
  if (hit === undefined) throw new ConfigError(name, `must be one of ${allowed.join(", ")}`);
  return hit;
}

function absoluteUrl(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute URL (${protocols.join(" or ")})`);
  }
  if (!protocols.includes(url.protocol.replace(/:$/, ""))) {
    throw new ConfigError(name, `must be an absolute URL (${protocols.join(" or ")})`);
  }
  // A password inside an HTTP URL would end up in logs; refuse it (REDIS_URL may carry one).
  if (protocols.includes("https") && (url.username !== "" || url.password !== "")) {
    throw new ConfigError(name, "must not contain a user or password");
  }
  return raw;
}

function host(env: Env, name: string, fallback: string): string {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(raw)) throw new ConfigError(name, "must be a host name or IP address");
  return raw;
}

const apiKeysSchema = z
  .array(
    z.object({
      name: z.string().trim().min(1).max(100),
      key: z.string().min(1),
      scopes: z.array(z.enum(GATEWAY_SCOPES)).min(1),
    }),
  )
  .min(1);

function apiKeys(env: Env): ApiKeyConfig[] {
  const name = "GATEWAY_API_KEYS";
  const raw = read(env, name);
  if (raw === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'must be a JSON array like [{"name":"dashboard","key":"…","scopes":["export:read"]}]');
  }
  const parsed = apiKeysSchema.safeParse(json);
  if (!parsed.success) {
    // The zod issue path and message name the entry and field; zod 4 messages do not echo values.
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? "" : issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    throw new ConfigError(name, `is invalid at ${where === "" ? "the top level" : where.replace(/^\./, "")}: ${issue?.message ?? "bad shape"} (scopes: ${GATEWAY_SCOPES.join(", ")})`);
  }
  const seen = new Set<string>();
  return parsed.data.map((entry, i) => {
    if (seen.has(entry.name)) throw new ConfigError(name, `has a duplicate name at [${i}]`);
    if (seen.has(`key:${entry.key}`)) throw new ConfigError(name, `has a duplicate key at [${i}]`);
    seen.add(entry.name).add(`key:${entry.key}`);
    return { name: entry.name, key: new SecretString(entry.key), scopes: entry.scopes };
  });
}

function corsOrigins(env: Env, fallback: "*" | string[]): "*" | string[] {
  const name = "CORS_ORIGINS";
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (raw === "*") return "*";
  const origins = raw
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(name, "must be * or comma-separated origins like https://app.example.com");
    }
    if (url.origin !== origin.replace(/\/$/, "")) {
      throw new ConfigError(name, "must hold origins only (scheme://host[:port], no path)");
    }
  }
  return origins.map((o) => o.replace(/\/$/, ""));
}

function redisKeyPrefix(env: Env): string {
  const raw = read(env, "REDIS_KEY_PREFIX");
  if (raw === undefined) return "cdn-export-gateway:";
  if (!/^[A-Za-z0-9:._-]{1,64}$/.test(raw)) throw new ConfigError("REDIS_KEY_PREFIX", "must be 1–64 letters, digits, ':', '.', '_' or '-'");
  return raw;
}

function trustedDocuments(env: Env): TrustedDocuments | null {
  const path = read(env, "TRUSTED_DOCUMENTS");
  if (path === undefined) return null;
  try {
    return readTrustedDocuments(path);
  } catch (error) {
    if (error instanceof ManifestError) throw new ConfigError("TRUSTED_DOCUMENTS", error.message);
    throw error;
  }
}

function subscriptionPolling(env: Env): GatewayConfig["subscriptions"] {
  const pollMinMs = integer(env, "SUBSCRIPTION_POLL_MIN_MS", 1000, 50, 600_000);
  const pollMaxMs = integer(env, "SUBSCRIPTION_POLL_MAX_MS", 15_000, 50, 3_600_000);
  if (pollMaxMs < pollMinMs) throw new ConfigError("SUBSCRIPTION_POLL_MAX_MS", "must not be below SUBSCRIPTION_POLL_MIN_MS");
  return { pollMinMs, pollMaxMs };
}

function upstreamCredentials(env: Env): Credentials | null {
  const id = read(env, "ALIBABA_CLOUD_ACCESS_KEY_ID");
  const secret = read(env, "ALIBABA_CLOUD_ACCESS_KEY_SECRET");
  const token = read(env, "ALIBABA_CLOUD_SECURITY_TOKEN");
  if (id === undefined && secret === undefined) {
    if (token !== undefined) {
      throw new ConfigError("ALIBABA_CLOUD_SECURITY_TOKEN", "is set without ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    }
    return null;
  }
  if (id === undefined) throw new ConfigError("ALIBABA_CLOUD_ACCESS_KEY_ID", "is unset while ALIBABA_CLOUD_ACCESS_KEY_SECRET is set (set both, or neither for the emulator)");
  if (secret === undefined) throw new ConfigError("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "is unset while ALIBABA_CLOUD_ACCESS_KEY_ID is set (set both, or neither for the emulator)");
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(id)) throw new ConfigError("ALIBABA_CLOUD_ACCESS_KEY_ID", "must be letters, digits, '.', '_' or '-'");
  return new Credentials({ accessKeyId: id, accessKeySecret: secret, securityToken: token });
}

/** Reads every variable of design.md's table (plus the operation-limit knobs) once. */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const nodeEnv = read(env, "NODE_ENV") ?? "development";
  const production = nodeEnv === "production";
  const credentials = upstreamCredentials(env);
  const mode = credentials === null ? "emulator" : "real";

  const keys = apiKeys(env);
  const jwksUrl = absoluteUrl(env, "GATEWAY_JWKS_URL", ["https", "http"]);
  const issuer = read(env, "GATEWAY_JWT_ISSUER") ?? null;
  const audience = read(env, "GATEWAY_JWT_AUDIENCE") ?? null;
  if (jwksUrl === undefined && (issuer !== null || audience !== null)) {
    throw new ConfigError(issuer !== null ? "GATEWAY_JWT_ISSUER" : "GATEWAY_JWT_AUDIENCE", "is set without GATEWAY_JWKS_URL");
  }
  const hasAuthMethod = keys.length > 0 || jwksUrl !== undefined;
  // Default: required against the real upstream, or whenever keys/JWKS were configured (a user
  // who set keys expects them enforced); off for the plain emulator demo.
  const authMode = oneOf(env, "GATEWAY_AUTH", ["required", "off"], mode === "real" || hasAuthMethod ? "required" : "off");
  if (authMode === "required" && !hasAuthMethod) {
    throw new ConfigError(
      "GATEWAY_AUTH",
      mode === "real"
        ? "is required against the real upstream: set GATEWAY_API_KEYS or GATEWAY_JWKS_URL, or GATEWAY_AUTH=off explicitly"
        : "is required but neither GATEWAY_API_KEYS nor GATEWAY_JWKS_URL is set",
    );
  }

  const emulatorSecret = read(env, "EMULATOR_ACCESS_KEY_SECRET");
  const emulatorId = read(env, "EMULATOR_ACCESS_KEY_ID");
  if ((emulatorId === undefined) !== (emulatorSecret === undefined)) {
    throw new ConfigError(emulatorId === undefined ? "EMULATOR_ACCESS_KEY_ID" : "EMULATOR_ACCESS_KEY_SECRET", "must be set together with its pair");
  }

  const redisUrl = absoluteUrl(env, "REDIS_URL", ["redis", "rediss"]);
  const trusted = trustedDocuments(env);
  const metricsPort = integer(env, "METRICS_PORT", 9464, 0, 65535);

  return {
    nodeEnv,
    listen: { host: host(env, "HOST", "127.0.0.1"), port: integer(env, "PORT", 4000, 0, 65535) },
    upstream: {
      mode,
      credentials,
      endpoint: (absoluteUrl(env, "CDN_ENDPOINT", ["https", "http"]) ?? "https://cdn.aliyuncs.com").replace(/\/+$/, ""),
      signatureVersion: oneOf(env, "CDN_SIGNATURE_VERSION", ["v3", "v1"], "v3"),
      timeoutMs: integer(env, "CDN_TIMEOUT_MS", 5000, 1, 120_000),
      maxAttempts: integer(env, "CDN_MAX_ATTEMPTS", 3, 1, 10),
      rateLimit: integer(env, "CDN_RATE_LIMIT", 90, 1, 10_000),
      cacheTtlMs: integer(env, "CDN_CACHE_TTL_MS", 1000, 0, 3_600_000),
    },
    redisUrl: redisUrl === undefined ? null : new SecretString(redisUrl),
    redisKeyPrefix: redisKeyPrefix(env),
    auth: {
      mode: authMode,
      apiKeys: keys,
      jwt: jwksUrl === undefined ? null : { jwksUrl, issuer, audience },
    },
    // With trusted documents GraphiQL could only run manifest documents: off unless asked for.
    graphiql: flag(env, "GRAPHIQL", !production && trusted === null),
    introspection: flag(env, "INTROSPECTION", !production),
    trustedDocuments: trusted,
    subscriptions: subscriptionPolling(env),
    corsOrigins: corsOrigins(env, mode === "emulator" ? "*" : []),
    logLevel: oneOf(env, "LOG_LEVEL", LOG_LEVELS, "info"),
    emulator: {
      port: integer(env, "EMULATOR_PORT", 4010, 0, 65535),
      accessKeyId: emulatorId ?? null,
      accessKeySecret: emulatorSecret === undefined ? null : new SecretString(emulatorSecret),
      taskSeconds: integer(env, "EMULATOR_TASK_SECONDS", 5, 0, 86_400),
    },
    limits: {
      maxAliases: integer(env, "MAX_ALIASES", 15, 1, 1000),
      maxDepth: integer(env, "MAX_DEPTH", 10, 1, 100),
      maxTokens: integer(env, "MAX_TOKENS", 2000, 10, 1_000_000),
      maxDirectives: integer(env, "MAX_DIRECTIVES", 50, 1, 10_000),
      maxCost: integer(env, "MAX_COST", 5000, 1, 100_000_000),
      maxBodyBytes: integer(env, "MAX_BODY_BYTES", 1_048_576, 1024, 100 * 1_048_576),
    },
    metrics: metricsPort === 0 ? null : { host: host(env, "METRICS_HOST", "127.0.0.1"), port: metricsPort },
    shutdown: {
      drainDelayMs: integer(env, "SHUTDOWN_DRAIN_DELAY_MS", 0, 0, 120_000),
      timeoutMs: integer(env, "SHUTDOWN_TIMEOUT_MS", 10_000, 0, 600_000),
    },
  };
}

/** Every secret value the config holds: the logger scrubs these from every line. */
export function configSecrets(config: GatewayConfig): string[] {
  const out: string[] = [];
  const credentials = config.upstream.credentials;
  if (credentials !== null) {
    out.push(credentials.accessKeySecret);
    if (credentials.securityToken !== undefined) out.push(credentials.securityToken);
  }
  for (const key of config.auth.apiKeys) out.push(key.key.reveal());
  if (config.emulator.accessKeySecret !== null) out.push(config.emulator.accessKeySecret.reveal());
  if (config.redisUrl !== null) {
    const password = new URL(config.redisUrl.reveal()).password;
    if (password !== "") out.push(password, decodeURIComponent(password));
  }
  return out;
}
