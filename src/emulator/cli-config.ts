/**
 * Environment → options for `npm run emulator`. A bad value stops start-up with one message
 * naming the variable; secret values are never echoed (numbers are, to show what was wrong).
 */
import { z } from "zod";
import { envDefault, EnvError, envInteger, envOptional, envRate, envText, parseEnv, type Env } from "../config-env.js";
import { DEFAULT_QUOTA_PER_SECOND, DEFAULT_TASK_SECONDS, DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET } from "./index.js";
import type { EmulatorFaults } from "./types.js";

export const DEFAULT_EMULATOR_PORT = 4010;

export class EmulatorEnvError extends EnvError {
  override readonly name = "EmulatorEnvError";
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

// The same env helpers as the gateway's config (src/config-env.ts imports nothing but zod).
const emulatorEnv = z.object({
  EMULATOR_PORT: envDefault(envInteger(0, 65535), DEFAULT_EMULATOR_PORT),
  EMULATOR_ACCESS_KEY_ID: envOptional(envText),
  EMULATOR_ACCESS_KEY_SECRET: envOptional(envText),
  EMULATOR_SECURITY_TOKEN: envOptional(envText),
  EMULATOR_TASK_SECONDS: envDefault(envInteger(0, 86_400), DEFAULT_TASK_SECONDS),
  EMULATOR_QUOTA_PER_SECOND: envDefault(envInteger(1, 1_000_000), DEFAULT_QUOTA_PER_SECOND),
  EMULATOR_LATENCY_MS: envDefault(envInteger(0, 60_000), 0),
  EMULATOR_THROTTLE_RATE: envDefault(envRate, 0),
  EMULATOR_5XX_RATE: envDefault(envRate, 0),
  EMULATOR_DROP_RATE: envDefault(envRate, 0),
  EMULATOR_MALFORMED_RATE: envDefault(envRate, 0),
});

/** Variables whose value is never echoed in a message. */
const SECRET_VARIABLES = new Set(["EMULATOR_ACCESS_KEY_SECRET", "EMULATOR_SECURITY_TOKEN"]);

export function readEmulatorCliConfig(env: Env): EmulatorCliConfig {
  const parsed = parseEnv(emulatorEnv, env);
  if (!parsed.ok) {
    // The emulator's numbers are not secrets: showing what was read helps fix a typo.
    const raw = env[parsed.variable]?.trim();
    const shown = raw === undefined || SECRET_VARIABLES.has(parsed.variable) ? "" : ` (got "${raw}")`;
    throw new EmulatorEnvError(parsed.variable, `${parsed.problem}${shown}`);
  }
  const vars = parsed.value;
  const accessKeyId = vars.EMULATOR_ACCESS_KEY_ID;
  const accessKeySecret = vars.EMULATOR_ACCESS_KEY_SECRET;
  // Same rule as the gateway's config: a pair is set together, or not at all (the demo pair).
  if ((accessKeyId === undefined) !== (accessKeySecret === undefined)) {
    const unset = accessKeyId === undefined ? "EMULATOR_ACCESS_KEY_ID" : "EMULATOR_ACCESS_KEY_SECRET";
    throw new EmulatorEnvError(unset, "must be set together with its pair (or leave both unset for the demo pair)");
  }
  return {
    port: vars.EMULATOR_PORT,
    accessKeyId: accessKeyId ?? DEMO_ACCESS_KEY_ID,
    accessKeySecret: accessKeySecret ?? DEMO_ACCESS_KEY_SECRET,
    demoCredentials: accessKeySecret === undefined,
    securityToken: vars.EMULATOR_SECURITY_TOKEN,
    taskSeconds: vars.EMULATOR_TASK_SECONDS,
    quotaPerSecond: vars.EMULATOR_QUOTA_PER_SECOND,
    faults: {
      latencyMs: vars.EMULATOR_LATENCY_MS,
      throttleRate: vars.EMULATOR_THROTTLE_RATE,
      serverErrorRate: vars.EMULATOR_5XX_RATE,
      dropRate: vars.EMULATOR_DROP_RATE,
      malformedRate: vars.EMULATOR_MALFORMED_RATE,
    },
  };
}
