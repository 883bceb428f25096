/** The env helpers the gateway's config and the emulator CLI share (src/config-env.ts). */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { envDefault, envEnum, envFlag, envInteger, envOptional, envRate, envText, parseEnv } from "../src/config-env.js";
import { loadConfig } from "../src/config.js";
import { readEmulatorCliConfig } from "../src/emulator/cli-config.js";

const schema = z.object({
  PORT: envDefault(envInteger(0, 65535), 4000),
  DEBUG: envOptional(envFlag),
  MODE: envDefault(envEnum(["fast", "safe"]), "safe"),
  RATE: envDefault(envRate, 0),
  LIST: envOptional(envText.transform((t) => JSON.parse(t) as unknown).pipe(z.array(z.object({ n: z.number({ error: "must be a number" }) })))),
});

describe("parseEnv", () => {
  it("trims values and treats blank as unset", () => {
    expect(parseEnv(schema, { PORT: " 8080 ", DEBUG: "  ", MODE: "" })).toEqual({
      ok: true,
      value: { PORT: 8080, DEBUG: undefined, MODE: "safe", RATE: 0, LIST: undefined },
    });
  });

  it("flags and enums ignore case", () => {
    const parsed = parseEnv(schema, { DEBUG: "ON", MODE: "Fast", RATE: ".25" });
    expect(parsed).toMatchObject({ ok: true, value: { DEBUG: true, MODE: "fast", RATE: 0.25 } });
    expect(parseEnv(schema, { DEBUG: "Disabled" })).toMatchObject({ ok: true, value: { DEBUG: false } });
  });

  it("reports the first problem as the variable and the rule, never the value", () => {
    expect(parseEnv(schema, { PORT: "secret-ish" })).toEqual({ ok: false, variable: "PORT", problem: "must be a whole number" });
    expect(parseEnv(schema, { PORT: "99999" })).toEqual({ ok: false, variable: "PORT", problem: "must be a whole number from 0 to 65535" });
    expect(parseEnv(schema, { DEBUG: "maybe" })).toEqual({ ok: false, variable: "DEBUG", problem: "must be on or off (also true/false, 1/0)" });
    expect(parseEnv(schema, { MODE: "turbo" })).toEqual({ ok: false, variable: "MODE", problem: "must be one of fast, safe" });
    expect(parseEnv(schema, { RATE: "2" })).toMatchObject({ ok: false, variable: "RATE" });
    expect(parseEnv(schema, { LIST: '[{"n":1},{"n":"two"}]' })).toEqual({ ok: false, variable: "LIST", problem: "is invalid at [1].n: must be a number" });
  });
});

describe("one way to read a variable", () => {
  it("the gateway and the emulator read the same variable alike", () => {
    const env = { EMULATOR_PORT: " 4999 ", EMULATOR_TASK_SECONDS: "" };
    const gateway = loadConfig(env).emulator;
    const emulator = readEmulatorCliConfig(env);
    expect([gateway.port, gateway.taskSeconds]).toEqual([4999, 5]);
    expect([emulator.port, emulator.taskSeconds]).toEqual([4999, 5]);
    for (const bad of ["70000", "x", "-1"]) {
      expect(() => loadConfig({ EMULATOR_PORT: bad })).toThrow(/^Invalid configuration: EMULATOR_PORT must be a whole number/);
      expect(() => readEmulatorCliConfig({ EMULATOR_PORT: bad })).toThrow(/^Invalid configuration: EMULATOR_PORT must be a whole number/);
    }
  });
});
