/** Full runs benchmark `dist/` (what `npm start` runs), rebuilt first when src/ changed. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./gateway.js";

const BUILD = join(REPO_ROOT, "scripts", "build.mjs");

/** dist/ was built from exactly today's src/ (scripts/build.mjs keeps a hash of the sources). */
export function distIsFresh(): boolean {
  return spawnSync(process.execPath, [BUILD, "--if-stale", "--check"], { cwd: REPO_ROOT }).status === 0;
}

/** The same step `npm start` runs first: rebuild dist/ when src/ changed. */
export function ensureBuilt(log: (message: string) => void): void {
  if (distIsFresh()) return;
  log("dist/ was built from other sources: rebuilding (scripts/build.mjs)");
  const result = spawnSync(process.execPath, [BUILD], { cwd: REPO_ROOT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`build failed:\n${result.stderr.slice(0, 2000)}`);
}
