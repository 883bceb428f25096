/** Full runs benchmark `dist/` (what `npm start` runs): rebuild it first when src/ is newer. */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./gateway.js";

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

const DIST_MAIN = join(REPO_ROOT, "dist", "main.js");

/** dist/main.js exists and no file in src/ is newer. */
export function distIsFresh(): boolean {
  return mtimeMs(DIST_MAIN) >= newestMtimeMs(join(REPO_ROOT, "src"));
}

/** Runs `tsc -p tsconfig.build.json` when dist/main.js is missing or older than src/. */
export function ensureBuilt(log: (message: string) => void): void {
  if (distIsFresh()) return;
  log("dist/ is older than src/: building (tsc -p tsconfig.build.json)");
  const tsc = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: REPO_ROOT, encoding: "utf8" });
  if (result.status !== 0) {
    // tsc still emits on type errors; benchmark what was emitted, but say so.
    log(`build reported errors (benchmarking the emitted dist/ anyway):\n${result.stdout.slice(0, 2000)}`);
  }
  if (mtimeMs(DIST_MAIN) === 0) throw new Error("build produced no dist/main.js");
}
