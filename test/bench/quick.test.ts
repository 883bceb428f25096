/**
 * `npm run bench -- --quick` runs end to end (its own emulator, gateway and load processes) and
 * writes a well-formed results file: one object per case with figures, ratio, target and pass.
 * A benchmark is not a test: nothing here looks at how fast anything was.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ALL_CASES } from "../../bench/cases/index.js";
import { resultsFileSchema } from "../../bench/lib/results.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "bench-quick-"));
const out = join(dir, "results.json");

describe("npm run bench -- --quick", () => {
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs every case and writes one well-formed result object per case", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "bench/run.ts", "--quick", "--out", out], {
      cwd: root,
      encoding: "utf8",
      timeout: 170_000,
    });
    expect(run.error).toBeUndefined();
    expect(run.status, run.stderr).toBe(0);

    const results = resultsFileSchema.parse(JSON.parse(readFileSync(out, "utf8")));
    expect(results.map((r) => r.id)).toEqual(ALL_CASES.map((c) => c.id));
    for (const result of results) {
      // A case that crashed would still be listed; the harness itself must have worked.
      expect(result.error, `${result.id}: ${result.error ?? ""}`).toBeUndefined();
      expect(result.quick).toBe(true);
      expect(Object.keys(result.figures).length).toBeGreaterThan(0);
      expect(result.checks.length).toBeGreaterThan(0);
      expect(result.pass).toBe(result.checks.every((check) => check.pass));
    }
    expect(run.stdout).toContain("| Case");
  }, 180_000);
});
