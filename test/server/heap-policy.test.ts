/**
 * The V8 memory policy main.ts applies (src/heap-policy.ts): the young generation stays within
 * its cap and the old generation is collected long before V8's own limit, under a workload that
 * makes V8 grow both. Run in child processes: the flags are process-wide.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { growthFactorFor, YOUNG_SEMI_SPACE_CAP_BYTES } from "../../src/heap-policy.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MB = 1024 * 1024;
const run = promisify(execFile);

interface ProbeResult {
  maxSemiBytes: number;
  maxOldBytes: number;
}

async function probe(mode: "policy" | "none"): Promise<ProbeResult> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", "test/fixtures/heap-policy-probe.ts", mode], { cwd: ROOT, env: { PATH: process.env.PATH ?? "" } });
  return JSON.parse(stdout) as ProbeResult;
}

describe("growthFactorFor", () => {
  it("lets one growth reach the cap at most, and stops growth at or past it", () => {
    expect(growthFactorFor(1 * MB, 10 * MB)).toBe(10);
    expect(growthFactorFor(2 * MB, 10 * MB)).toBe(5);
    expect(growthFactorFor(4 * MB, 10 * MB)).toBe(2);
    expect(growthFactorFor(6 * MB, 10 * MB)).toBe(1);
    expect(growthFactorFor(10 * MB, 10 * MB)).toBe(1);
    expect(growthFactorFor(16 * MB, 10 * MB)).toBe(1);
    expect(growthFactorFor(0, 10 * MB)).toBe(1);
  });
});

describe("applyHeapPolicy", () => {
  it("keeps the semi-space within the cap and the old space well below V8's default growth", async () => {
    const [without, withPolicy] = await Promise.all([probe("none"), probe("policy")]);
    // The workload must make V8 grow past the cap on its own, or this test shows nothing.
    expect(without.maxSemiBytes).toBeGreaterThan(YOUNG_SEMI_SPACE_CAP_BYTES);
    expect(withPolicy.maxSemiBytes).toBeLessThanOrEqual(YOUNG_SEMI_SPACE_CAP_BYTES);
    expect(withPolicy.maxOldBytes).toBeLessThan(without.maxOldBytes * 0.75);
  });
});
