/**
 * Environment → one typed, validated configuration object (contract: design.md "Configuration").
 * The environment is one zod schema of per-variable rules (helpers in config-env.ts), parsed
 * once; rules across variables follow. Bad configuration throws ONE `ConfigError` whose message
 * names the variable and the rule it broke — never the value, which may be a secret. Secrets
 * are held in wrappers that print as `<redacted>` (Credentials for the AccessKey pair,
 * SecretString for API keys).
 */
import { EnvError, parseEnv, SecretString, type Env } from "./config-env.js";
import { gatewayEnv, type ApiKeyConfig, type GatewayEnv } from "./config-variables.js";
import { redisConfig, redisSecrets, type RedisConfig } from "./config-redis.js";
import { Credentials } from "./upstream/credentials.js";
import type { OperationLimits } from "./http/operation-limits.js";
import type { LogLevel } from "./observability/logger.js";
import { ManifestError, readTrustedDocuments, type TrustedDocuments } from "./http/trusted-documents-manifest.js";
import { tracingFromEnv } from "./config-tracing.js";
import type { TracingSettings } from "./observability/tracing-settings.js";

/** The gateway's bad variable (`variable`, and a message that never holds the value). */
export class ConfigError extends EnvError {
  override readonly name = "ConfigError";
}

export { SecretString } from "./config-env.js";
export type { ApiKeyConfig } from "./config-variables.js";
export type { RedisConfig, RedisNodeAddress } from "./config-redis.js";


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
  /** `REDIS_URL` alone (may carry a password, so held like a secret); null with Sentinel or Cluster too. */
  redisUrl: SecretString | null;
  /** Where the shared state lives: one Redis, a Sentinel-managed primary or a Cluster; null = in-process. */
  redis: RedisConfig | null;
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
  /** OpenTelemetry tracing from the standard OTEL_* variables (config-tracing.ts); null = off. */
  tracing: TracingSettings | null;
}

export type { Env } from "./config-env.js";


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
  const tracing = tracingFromEnv(env);
  if (!tracing.ok) throw new ConfigError(tracing.variable, tracing.problem);
  const redis = redisConfig(vars);
  if (!redis.ok) throw new ConfigError(redis.variable, redis.problem);

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
    redisUrl: redis.value?.mode === "standalone" ? redis.value.url : null,
    redis: redis.value,
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
    tracing: tracing.value,
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
  out.push(...redisSecrets(config.redis));
  if (config.tracing !== null) out.push(...Object.values(config.tracing.headers()));
  return out;
}
