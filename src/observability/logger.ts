/**
 * JSON logs on stdout (pino). Two layers keep secrets out of every line:
 * 1. `redact` censors the paths where secrets live (headers, credential fields, keys);
 * 2. a last-chance scrubber replaces any known secret VALUE wherever it slipped in
 *    (a message, an unexpected field), so a mistake elsewhere cannot leak one.
 */
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from "pino";
import { secretForms } from "./secret-forms.js";

export type { Logger } from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const satisfies readonly LevelWithSilent[];
export type LogLevel = (typeof LOG_LEVELS)[number];

export const REDACTED = "[REDACTED]";

/** Field names that hold secrets, wherever they appear (top level, or up to two levels down). */
const SECRET_FIELDS = [
  "authorization",
  "Authorization",
  "cookie",
  "Cookie",
  "set-cookie",
  "proxy-authorization",
  "x-api-key",
  "x-acs-security-token",
  "x-acs-signature",
  "accessKeySecret",
  "AccessKeySecret",
  "securityToken",
  "SecurityToken",
  "signature",
  "Signature",
  "apiKey",
  "apiKeys",
  "password",
  "secret",
  "token",
] as const;

function bracket(field: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(field) ? `.${field}` : `["${field}"]`;
}

/** pino redact paths: each secret field at depth 0, 1 and 2 (`*` is one level in pino's syntax). */
export const REDACT_PATHS: readonly string[] = SECRET_FIELDS.flatMap((field) => {
  const tail = bracket(field);
  const top = tail.startsWith(".") ? tail.slice(1) : tail;
  return [top, `*${tail}`, `*.*${tail}`];
});

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; stdout when omitted. Tests pass a collecting stream. */
  destination?: DestinationStream;
  /** Secret values (AccessKey secret, security token, API keys) scrubbed from every line. */
  secrets?: readonly string[];
  /** Fields on every line, e.g. `{ service: "cdn-export-gateway" }`. */
  base?: Record<string, unknown>;
  /** Fields computed for each line: `RequestLogContext.fields` adds the current request id. */
  mixin?: () => Record<string, unknown>;
}

export function createLogger(options: LoggerOptions): Logger {
  const scrub = secretScrubber(options.secrets ?? []);
  return pino(
    {
      level: options.level,
      base: options.base ?? { service: "cdn-export-gateway" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      // pino's default error serializer copies every own property of an Error; upstream SDK
      // errors carry signed requests, so errors are reduced to name/message/code/stack.
      serializers: { err: serializeError, error: serializeError },
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: scrub },
      // A line's own fields win over the mixin's (pino's merge order).
      ...(options.mixin ? { mixin: options.mixin } : {}),
    },
    // Each line is written when it is logged: the start-up lines are out before the server
    // answers, and a crash loses nothing.
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** Replaces every occurrence of each secret (as is, JSON-escaped, URL-encoded or base64) with REDACTED. */
export function secretScrubber(secrets: readonly string[]): (line: string) => string {
  // Longest first, so a form that contains another is replaced whole.
  const needles = [...new Set(secrets.filter((s) => s.length >= 4).flatMap(secretForms))].sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const needle of needles) {
      if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    return out;
  };
}

export interface SerializedError {
  type: string;
  message: string;
  code?: string;
  action?: string;
  requestId?: string | null;
  stack?: string;
}

/** Only stable, non-secret facts about an error: never its arbitrary own properties. */
export function serializeError(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const out: SerializedError = { type: value.name, message: value.message };
  const fields = value as Error & { code?: unknown; action?: unknown; requestId?: unknown };
  if (typeof fields.code === "string") out.code = fields.code;
  if (typeof fields.action === "string") out.action = fields.action;
  if (typeof fields.requestId === "string" || fields.requestId === null) out.requestId = fields.requestId;
  if (value.stack !== undefined) out.stack = value.stack;
  return out;
}
