/**
 * Environment → one typed, validated configuration object (contract: design.md "Configuration").
 * The environment is one zod schema of per-variable rules (helpers in config-env.ts), parsed
 * once; rules across variables follow. Bad configuration throws ONE `ConfigError` whose message
 * names the variable and the rule it broke — never the value, which may be a secret. Secrets
 * are held in wrappers that print as `<redacted>` (Credentials for the AccessKey pair,
 * SecretString for API keys).
 */
import { inspect } from "node:util";
import { z } from "zod";
import { SCOPES, type Scope } from "./auth/principal.js";
import { envDefault, envEnum, envFlag, envHost, envHttpUrl, envInteger, envOptional, envOriginList, envText, envUrl, EnvError, parseEnv, type Env } from "./config-env.js";
import { Credentials } from "./upstream/credentials.js";
import type { OperationLimits } from "./http/operation-limits.js";
import { LOG_LEVELS, type LogLevel } from "./observability/logger.js";
import { ManifestError, readTrustedDocuments, type TrustedDocuments } from "./http/trusted-documents-manifest.js";
import { isKnownTimeZone } from "./exports/zoned-time.js";

/** The gateway's bad variable (`variable`, and a message that never holds the value). */
export class ConfigError extends EnvError {
  override readonly name = "ConfigError";
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
    /** Longest a call waits for a quota slot before failing with UPSTREAM_THROTTLED. */
    quotaWaitMs: number;
    /** Freshness window for page reads; 0 = off. */
    cacheTtlMs: number;
    /** `CDN_DOWNLOAD_ORIGINS`: exact origins whose DownloadUrls clients may see, besides the Alibaba hosts. */
    downloadOrigins: string[];
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
  limits: OperationLimits;
  /**
   * Prometheus exposition on a separate listener (`METRICS_HOST:METRICS_PORT`, path /metrics),
   * so it is never reachable through the public GraphQL port. `null` = off (METRICS_PORT=0).
   */
  metrics: { host: string; port: number } | null;
  /** Reading finished exports' files (design.md "Export contents"). */
  exports: {
    /** `EXPORT_MAX_FILE_BYTES`: a larger file is EXPORT_TOO_LARGE. */
    maxFileBytes: number;
    /** `EXPORT_FETCH_TIMEOUT_MS`: one whole download (and, as long again, one parse). */
    fetchTimeoutMs: number;
    /** `EXPORT_FILE_TIME_ZONE`: the wall clock of zone-less times and Excel serials in the files. */
    fileTimeZone: string;
    /** `EXPORT_CACHE_BYTES`: parsed exports kept in process, least recently used first; 0 keeps none. */
    cacheBytes: number;
    /** `EXPORT_SHARED_TTL_MS`: with REDIS_URL, how long a parsed export stays in Redis for the other replicas. */
    sharedTtlMs: number;
  };
  shutdown: {
    /** After SIGTERM, /ready answers 503 this long before the listener closes (load balancers). */
    drainDelayMs: number;
    /** In-flight requests get this long to finish; then connections are cut. */
    timeoutMs: number;
  };
}

export type { Env } from "./config-env.js";

// ---- the environment, variable by variable (defaults that depend on other variables come after) ----

const API_KEYS_SHAPE = 'must be a JSON array like [{"name":"dashboard","key":"…","scopes":["export:read"]}]';

const apiKeyEntry = z.object({
  name: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  key: z.string({ error: "must be a string" }).min(1, "must not be empty"),
  scopes: z
    .array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(", ")}` }), { error: "must be a list of scopes" })
    .min(1, "must list at least one scope"),
});

const apiKeys = envText
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue(API_KEYS_SHAPE);
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(apiKeyEntry, { error: API_KEYS_SHAPE })
      .min(1, API_KEYS_SHAPE)
      .superRefine((entries, ctx) => {
        const names = new Set<string>();
        const keys = new Set<string>();
        entries.forEach((entry, i) => {
          if (names.has(entry.name)) ctx.addIssue(`has a duplicate name at [${i}]`);
          if (keys.has(entry.key)) ctx.addIssue(`has a duplicate key at [${i}]`);
          names.add(entry.name);
          keys.add(entry.key);
        });
      }),
  )
  .transform((entries): ApiKeyConfig[] => entries.map((e) => ({ name: e.name, key: new SecretString(e.key), scopes: e.scopes })));

/** `*`, or comma-separated origins (scheme://host[:port]) without a trailing slash. */
const corsOrigins = envText.transform((raw, ctx): "*" | string[] => {
  if (raw === "*") return "*";
  const origins = raw
    .split(",")
    .map((o) => o.trim().replace(/\/$/, ""))
    .filter((o) => o !== "");
  for (const origin of origins) {
    if (!URL.canParse(origin)) {
      ctx.addIssue("must be * or comma-separated origins like https://app.example.com");
      return z.NEVER;
    }
    if (new URL(origin).origin !== origin) {
      ctx.addIssue("must hold origins only (scheme://host[:port], no path)");
      return z.NEVER;
    }
  }
  return origins;
});

const port = (fallback: number) => envDefault(envInteger(0, 65535), fallback);
const integer = (min: number, max: number, fallback: number) => envDefault(envInteger(min, max), fallback);

/** Every variable of design.md's table plus the operation-limit and operations knobs. */
const gatewayEnv = z.object({
  NODE_ENV: envDefault(envText, "development"),
  ALIBABA_CLOUD_ACCESS_KEY_ID: envOptional(envText.regex(/^[A-Za-z0-9._-]{1,128}$/, "must be letters, digits, '.', '_' or '-'")),
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: envOptional(envText),
  ALIBABA_CLOUD_SECURITY_TOKEN: envOptional(envText),
  HOST: envDefault(envHost, "127.0.0.1"),
  PORT: port(4000),
  /** `on`: serve the embedded emulator on purpose (required with NODE_ENV=production and no credentials). */
  CDN_EMULATOR: envOptional(envEnum(["on", "off"])),
  CDN_ENDPOINT: envDefault(envHttpUrl, "https://cdn.aliyuncs.com").transform((url) => url.replace(/\/+$/, "")),
  CDN_SIGNATURE_VERSION: envDefault(envEnum(["v3", "v1"]), "v3"),
  CDN_TIMEOUT_MS: integer(1, 120_000, 5000),
  CDN_MAX_ATTEMPTS: integer(1, 10, 3),
  CDN_RATE_LIMIT: integer(1, 10_000, 90),
  CDN_QUOTA_WAIT_MS: integer(0, 60_000, 5000),
  CDN_CACHE_TTL_MS: integer(0, 3_600_000, 1000),
  CDN_DOWNLOAD_ORIGINS: envDefault(envOriginList, []),
  REDIS_URL: envOptional(envUrl(["redis", "rediss"])),
  REDIS_KEY_PREFIX: envDefault(envText.regex(/^[A-Za-z0-9:._-]{1,64}$/, "must be 1–64 letters, digits, ':', '.', '_' or '-'"), "cdn-export-gateway:"),
  GATEWAY_API_KEYS: envDefault(apiKeys, []),
  GATEWAY_JWKS_URL: envOptional(envHttpUrl),
  GATEWAY_JWT_ISSUER: envOptional(envText),
  GATEWAY_JWT_AUDIENCE: envOptional(envText),
  GATEWAY_AUTH: envOptional(envEnum(["required", "off"])),
  GRAPHIQL: envOptional(envFlag),
  INTROSPECTION: envOptional(envFlag),
  TRUSTED_DOCUMENTS: envOptional(envText),
  SUBSCRIPTION_POLL_MIN_MS: integer(50, 600_000, 1000),
  SUBSCRIPTION_POLL_MAX_MS: integer(50, 3_600_000, 15_000),
  CORS_ORIGINS: envOptional(corsOrigins),
  LOG_LEVEL: envDefault(envEnum(LOG_LEVELS), "info"),
  EMULATOR_PORT: port(4010),
  EMULATOR_ACCESS_KEY_ID: envOptional(envText),
  EMULATOR_ACCESS_KEY_SECRET: envOptional(envText),
  EMULATOR_TASK_SECONDS: integer(0, 86_400, 5),
  MAX_ALIASES: integer(1, 1000, 15),
  MAX_DEPTH: integer(1, 100, 10),
  MAX_TOKENS: integer(10, 1_000_000, 2000),
  MAX_DIRECTIVES: integer(1, 10_000, 50),
  MAX_COST: integer(1, 100_000_000, 5000),
  MAX_BODY_BYTES: integer(1024, 100 * 1_048_576, 1_048_576),
  METRICS_HOST: envDefault(envHost, "127.0.0.1"),
  METRICS_PORT: port(9464),
  EXPORT_MAX_FILE_BYTES: integer(1024, 8 * 1024 ** 3, 268_435_456),
  EXPORT_FETCH_TIMEOUT_MS: integer(1000, 3_600_000, 120_000),
  EXPORT_FILE_TIME_ZONE: envDefault(envText.refine(isKnownTimeZone, "must be an IANA time zone such as Asia/Shanghai"), "Asia/Shanghai"),
  EXPORT_CACHE_BYTES: integer(0, 64 * 1024 ** 3, 134_217_728),
  EXPORT_SHARED_TTL_MS: integer(1000, 30 * 86_400_000, 3_600_000),
  SHUTDOWN_DRAIN_DELAY_MS: integer(0, 120_000, 0),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000, 10_000),
});

type GatewayEnv = z.output<typeof gatewayEnv>;

// ---- rules across variables ----

function upstreamCredentials(vars: GatewayEnv): Credentials | null {
  const id = vars.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const secret = vars.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  const token = vars.ALIBABA_CLOUD_SECURITY_TOKEN;
  if (id === undefined && secret === undefined) {
    if (token !== undefined) {
      throw new ConfigError("ALIBABA_CLOUD_SECURITY_TOKEN", "is set without ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    }
    // Synthetic data in production is a mistake unless someone asked for it by name.
    if (vars.CDN_EMULATOR === "off" || (vars.NODE_ENV === "production" && vars.CDN_EMULATOR !== "on")) {
      const why = vars.CDN_EMULATOR === "off" ? "CDN_EMULATOR=off" : "NODE_ENV=production";
      throw new ConfigError(
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        `and ALIBABA_CLOUD_ACCESS_KEY_SECRET are unset: ${why} will not serve the embedded emulator's synthetic data (set both, or CDN_EMULATOR=on)`,
      );
    }
    return null;
  }
  if (vars.CDN_EMULATOR === "on") throw new ConfigError("CDN_EMULATOR", "is on while ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET are set: choose one upstream");
  if (id === undefined) throw new ConfigError("ALIBABA_CLOUD_ACCESS_KEY_ID", "is unset while ALIBABA_CLOUD_ACCESS_KEY_SECRET is set (set both, or neither for the emulator)");
  if (secret === undefined) throw new ConfigError("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "is unset while ALIBABA_CLOUD_ACCESS_KEY_ID is set (set both, or neither for the emulator)");
  return new Credentials({ accessKeyId: id, accessKeySecret: secret, securityToken: token });
}

function authConfig(vars: GatewayEnv, mode: GatewayConfig["upstream"]["mode"]): GatewayConfig["auth"] {
  const jwksUrl = vars.GATEWAY_JWKS_URL;
  const issuer = vars.GATEWAY_JWT_ISSUER ?? null;
  const audience = vars.GATEWAY_JWT_AUDIENCE ?? null;
  if (jwksUrl === undefined && (issuer !== null || audience !== null)) {
    throw new ConfigError(issuer !== null ? "GATEWAY_JWT_ISSUER" : "GATEWAY_JWT_AUDIENCE", "is set without GATEWAY_JWKS_URL");
  }
  const apiKeys = vars.GATEWAY_API_KEYS;
  const hasAuthMethod = apiKeys.length > 0 || jwksUrl !== undefined;
  // Default: required against the real upstream, or whenever keys/JWKS were configured (a user
  // who set keys expects them enforced); off for the plain emulator demo.
  const authMode = vars.GATEWAY_AUTH ?? (mode === "real" || hasAuthMethod ? "required" : "off");
  if (authMode === "required" && !hasAuthMethod) {
    throw new ConfigError(
      "GATEWAY_AUTH",
      mode === "real"
        ? "is required against the real upstream: set GATEWAY_API_KEYS or GATEWAY_JWKS_URL, or GATEWAY_AUTH=off explicitly"
        : "is required but neither GATEWAY_API_KEYS nor GATEWAY_JWKS_URL is set",
    );
  }
  return { mode: authMode, apiKeys, jwt: jwksUrl === undefined ? null : { jwksUrl, issuer, audience } };
}

function emulatorConfig(vars: GatewayEnv): GatewayConfig["emulator"] {
  const id = vars.EMULATOR_ACCESS_KEY_ID;
  const secret = vars.EMULATOR_ACCESS_KEY_SECRET;
  if ((id === undefined) !== (secret === undefined)) {
    throw new ConfigError(id === undefined ? "EMULATOR_ACCESS_KEY_ID" : "EMULATOR_ACCESS_KEY_SECRET", "must be set together with its pair");
  }
  return {
    port: vars.EMULATOR_PORT,
    accessKeyId: id ?? null,
    accessKeySecret: secret === undefined ? null : new SecretString(secret),
    taskSeconds: vars.EMULATOR_TASK_SECONDS,
  };
}

function subscriptionPolling(vars: GatewayEnv): GatewayConfig["subscriptions"] {
  const { SUBSCRIPTION_POLL_MIN_MS: pollMinMs, SUBSCRIPTION_POLL_MAX_MS: pollMaxMs } = vars;
  if (pollMaxMs < pollMinMs) throw new ConfigError("SUBSCRIPTION_POLL_MAX_MS", "must not be below SUBSCRIPTION_POLL_MIN_MS");
  return { pollMinMs, pollMaxMs };
}

function trustedDocuments(path: string | undefined): TrustedDocuments | null {
  if (path === undefined) return null;
  try {
    return readTrustedDocuments(path);
  } catch (error) {
    if (error instanceof ManifestError) throw new ConfigError("TRUSTED_DOCUMENTS", error.message);
    throw error;
  }
}

/** Reads the environment once: every variable's own rule first, then the rules across variables. */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const parsed = parseEnv(gatewayEnv, env);
  if (!parsed.ok) throw new ConfigError(parsed.variable, parsed.problem);
  const vars = parsed.value;

  const production = vars.NODE_ENV === "production";
  const credentials = upstreamCredentials(vars);
  const mode = credentials === null ? "emulator" : "real";
  const auth = authConfig(vars, mode);
  const emulator = emulatorConfig(vars);
  const subscriptions = subscriptionPolling(vars);
  const trusted = trustedDocuments(vars.TRUSTED_DOCUMENTS);

  return {
    nodeEnv: vars.NODE_ENV,
    listen: { host: vars.HOST, port: vars.PORT },
    upstream: {
      mode,
      credentials,
      endpoint: vars.CDN_ENDPOINT,
      signatureVersion: vars.CDN_SIGNATURE_VERSION,
      timeoutMs: vars.CDN_TIMEOUT_MS,
      maxAttempts: vars.CDN_MAX_ATTEMPTS,
      rateLimit: vars.CDN_RATE_LIMIT,
      quotaWaitMs: vars.CDN_QUOTA_WAIT_MS,
      cacheTtlMs: vars.CDN_CACHE_TTL_MS,
      downloadOrigins: vars.CDN_DOWNLOAD_ORIGINS,
    },
    redisUrl: vars.REDIS_URL === undefined ? null : new SecretString(vars.REDIS_URL),
    redisKeyPrefix: vars.REDIS_KEY_PREFIX,
    auth,
    // With trusted documents GraphiQL could only run manifest documents: off unless asked for.
    graphiql: vars.GRAPHIQL ?? (!production && trusted === null),
    introspection: vars.INTROSPECTION ?? !production,
    trustedDocuments: trusted,
    subscriptions,
    corsOrigins: vars.CORS_ORIGINS ?? (mode === "emulator" ? "*" : []),
    logLevel: vars.LOG_LEVEL,
    emulator,
    limits: {
      maxAliases: vars.MAX_ALIASES,
      maxDepth: vars.MAX_DEPTH,
      maxTokens: vars.MAX_TOKENS,
      maxDirectives: vars.MAX_DIRECTIVES,
      maxCost: vars.MAX_COST,
      maxBodyBytes: vars.MAX_BODY_BYTES,
    },
    metrics: vars.METRICS_PORT === 0 ? null : { host: vars.METRICS_HOST, port: vars.METRICS_PORT },
    exports: {
      maxFileBytes: vars.EXPORT_MAX_FILE_BYTES,
      fetchTimeoutMs: vars.EXPORT_FETCH_TIMEOUT_MS,
      fileTimeZone: vars.EXPORT_FILE_TIME_ZONE,
      cacheBytes: vars.EXPORT_CACHE_BYTES,
      sharedTtlMs: vars.EXPORT_SHARED_TTL_MS,
    },
    shutdown: { drainDelayMs: vars.SHUTDOWN_DRAIN_DELAY_MS, timeoutMs: vars.SHUTDOWN_TIMEOUT_MS },
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
