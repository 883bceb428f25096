/** The ConfigError `loadConfig` throws for `env`; fails the test when it throws nothing or something else. */
import { ConfigError, loadConfig, type Env } from "../../src/config.js";

export function configError(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}
