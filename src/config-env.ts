/**
 * The one way to read environment variables, shared by the gateway (src/config.ts) and the
 * emulator CLI (src/emulator/cli-config.ts): an environment is described by one zod object of
 * per-variable schemas built from these helpers and parsed once with `parseEnv`. Values are
 * trimmed and a blank value counts as unset (`PORT=` in a .env file means "the default").
 * Messages describe the rule, never the value: it may be a secret.
 */
import { inspect } from "node:util";
import { z } from "zod";

export type Env = Readonly<Record<string, string | undefined>>;

/** A bad variable: the message names it and the rule it broke (start-up stops with it). */
export class EnvError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = "EnvError";
  }
}

function blankToUndefined(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/** A variable that may be unset: `undefined` then. */
export function envOptional<T>(schema: z.ZodType<T, string>) {
  return z.preprocess(blankToUndefined, schema.optional());
}

/** A variable with a default for when it is unset. */
export function envDefault<T>(schema: z.ZodType<T, string>, fallback: T) {
  return envOptional(schema).transform((value) => value ?? fallback);
}

/** Any text (names, ids, file paths, secrets). */
export const envText = z.string();

/** A whole number from `min` to `max`. */
export function envInteger(min: number, max: number): z.ZodType<number, string> {
  const range = `must be a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^-?\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().min(min, range).max(max, range));
}

/** A fraction from 0 to 1 (fault rates). */
export const envRate: z.ZodType<number, string> = z
  .string()
  .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, "must be a fraction from 0 to 1 (e.g. 0.1)")
  .transform(Number);

/** on/off, true/false, 1/0, yes/no, enabled/disabled; any case. */
export const envFlag: z.ZodType<boolean, string> = z.stringbool({
  truthy: ["on", "true", "1", "yes", "enabled"],
  falsy: ["off", "false", "0", "no", "disabled"],
  error: "must be on or off (also true/false, 1/0)",
});

/** One of `values`, any case. */
export function envEnum<const T extends readonly [string, ...string[]]>(values: T): z.ZodType<T[number], string> {
  return z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(values, { error: `must be one of ${values.join(", ")}` }));
}

/** An absolute URL with one of `protocols` (without the colon: "https", "redis"). */
export function envUrl(protocols: readonly string[]): z.ZodType<string, string> {
  return z.url({ protocol: new RegExp(`^(${protocols.join("|")})$`), error: `must be an absolute URL (${protocols.join(" or ")})` });
}

/** An http(s) URL without a user or password: HTTP URLs end up in logs. */
export const envHttpUrl: z.ZodType<string, string> = envUrl(["https", "http"]).refine((raw) => {
  if (!URL.canParse(raw)) return true; // the URL rule above already refused it
  const url = new URL(raw);
  return url.username === "" && url.password === "";
}, "must not contain a user or password");

/**
 * Comma-separated http(s) origins (`scheme://host[:port]`; a trailing slash is tolerated),
 * normalised as browsers write them (`HTTPS://Files.Example.com:443` → `https://files.example.com`).
 * An entry with a path, query, fragment or user info is not an origin. The message says which
 * entry by position, never its text.
 */
export const envOriginList: z.ZodType<string[], string> = z.string().transform((raw, ctx) => {
  const origins = new Set<string>();
  const entries = raw
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const [index, entry] of entries.entries()) {
    const origin = originOf(entry);
    if (origin === null) {
      ctx.addIssue(`must be comma-separated origins like https://files.example.com (http or https, no path); entry ${index + 1} is not one`);
      return z.NEVER;
    }
    origins.add(origin);
  }
  return [...origins];
});

function originOf(entry: string): string | null {
  if (!URL.canParse(entry)) return null;
  const url = new URL(entry);
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username !== "" || url.password !== "") return null;
  // `new URL` drops an empty `?` or `#`, so look at the text for those.
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || /[?#]/.test(entry)) return null;
  return url.origin;
}

/** A host name or IP address to listen on. */
export const envHost: z.ZodType<string, string> = z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, "must be a host name or IP address");

export type EnvParse<T> = { ok: true; value: T } | { ok: false; variable: string; problem: string };

/**
 * Parses `env` with an object schema of variables. On failure: the first issue, as the variable
 * (the issue path's head) and the problem (inside a structured value such as a JSON list, the
 * problem names where: `is invalid at [0].scopes[0]: …`). zod's messages never carry the input.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env): EnvParse<z.output<S>> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const [head, ...rest] = issue?.path ?? [];
  const variable = typeof head === "string" ? head : "environment";
  const message = issue?.message ?? "is invalid";
  if (rest.length === 0) return { ok: false, variable, problem: message };
  const where = rest.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
  return { ok: false, variable, problem: `is invalid at ${where}: ${message}` };
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
