/**
 * Environment → options for `npm run emulator`. A bad value stops start-up with one message
 * naming the variable; secret values are never echoed (numbers are, to show what was wrong).
 */
import { z } from "zod";
import { DEFAULT_QUOTA_PER_SECOND, DEFAULT_TASK_SECONDS, DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET } from "./index.js";
import type { EmulatorFaults } from "./types.js";

export const DEFAULT_EMULATOR_PORT = 4010;

export class EmulatorEnvError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = "EmulatorEnvError";
  }
}

export interface EmulatorCliConfig {
  port: number;
  accessKeyId: string;
  accessKeySecret: string;
  /** True when the demo pair is in use (and may be printed). */
  demoCredentials: boolean;
  securityToken: string | undefined;
  taskSeconds: number;
  quotaPerSecond: number;
  faults: EmulatorFaults;
}

type Env = Readonly<Record<string, string | undefined>>;

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().min(min, `must be from ${min} to ${max}`).max(max, `must be from ${min} to ${max}`));

const rate = z
  .string()
  .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, "must be a fraction from 0 to 1 (e.g. 0.1)")
  .transform(Number);

function parse<T>(env: Env, variable: string, schema: z.ZodType<T, string>, fallback: T): T {
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const result = schema.safeParse(raw);
  if (!result.success) throw new EmulatorEnvError(variable, `${result.error.issues[0]?.message ?? "is invalid"} (got "${raw}")`);
  return result.data;
}

function text(env: Env, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value === "" ? undefined : value;
}

export function readEmulatorCliConfig(env: Env): EmulatorCliConfig {
  const accessKeyId = text(env, "EMULATOR_ACCESS_KEY_ID");
  const accessKeySecret = text(env, "EMULATOR_ACCESS_KEY_SECRET");
  // Same rule as the gateway's config: a pair is set together, or not at all (the demo pair).
  if ((accessKeyId === undefined) !== (accessKeySecret === undefined)) {
    const unset = accessKeyId === undefined ? "EMULATOR_ACCESS_KEY_ID" : "EMULATOR_ACCESS_KEY_SECRET";
    throw new EmulatorEnvError(unset, "must be set together with its pair (or leave both unset for the demo pair)");
  }
  return {
    port: parse(env, "EMULATOR_PORT", integer(0, 65535), DEFAULT_EMULATOR_PORT),
    accessKeyId: accessKeyId ?? DEMO_ACCESS_KEY_ID,
    accessKeySecret: accessKeySecret ?? DEMO_ACCESS_KEY_SECRET,
    demoCredentials: accessKeySecret === undefined,
    securityToken: text(env, "EMULATOR_SECURITY_TOKEN"),
    taskSeconds: parse(env, "EMULATOR_TASK_SECONDS", integer(0, 86_400), DEFAULT_TASK_SECONDS),
    quotaPerSecond: parse(env, "EMULATOR_QUOTA_PER_SECOND", integer(1, 1_000_000), DEFAULT_QUOTA_PER_SECOND),
    faults: {
      latencyMs: parse(env, "EMULATOR_LATENCY_MS", integer(0, 60_000), 0),
      throttleRate: parse(env, "EMULATOR_THROTTLE_RATE", rate, 0),
      serverErrorRate: parse(env, "EMULATOR_5XX_RATE", rate, 0),
      dropRate: parse(env, "EMULATOR_DROP_RATE", rate, 0),
      malformedRate: parse(env, "EMULATOR_MALFORMED_RATE", rate, 0),
    },
  };
}
