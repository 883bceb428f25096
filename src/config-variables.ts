/**
 * The gateway's environment, variable by variable: each variable's own rule (helpers in
 * config-env.ts). Defaults that depend on other variables, and rules across variables, are
 * config.ts's.
 */
import { z } from "zod";
import { SCOPES, type Scope } from "./auth/principal.js";
import { envDefault, envEnum, envFlag, envHost, envHttpUrl, envInteger, envOptional, envOriginList, envText, SecretString } from "./config-env.js";
import { REDIS_ENV } from "./config-redis.js";
import { LOG_LEVELS } from "./observability/logger.js";
import { isKnownTimeZone } from "./exports/zoned-time.js";

export interface ApiKeyConfig {
  name: string;
  key: SecretString;
  scopes: Scope[];
}

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
export const gatewayEnv = z.object({
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
  ...REDIS_ENV,
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

export type GatewayEnv = z.output<typeof gatewayEnv>;
