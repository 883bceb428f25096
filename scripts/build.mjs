#!/usr/bin/env node
/**
 * Builds dist/ from src/ with esbuild: each .ts file transpiled on its own (no bundling, no type
 * check: `npm run typecheck` does that). Runs on `npm ci` (prepare) and before `npm start`
 * (prestart, with --if-stale): dist/ records a hash of the sources it was built from, so a
 * checkout whose src/ (or this script) changed in any way is rebuilt (about 0.2 s) and a stale
 * dist/ is never served. `--check` only says whether dist/ is fresh (exit 0) or not (exit 1).
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const srcDir = join(root, "src");
const distDir = join(root, "dist");
const stampFile = join(distDir, ".source-hash");

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : [join(dir, entry.name)]))
    .filter((path) => path.endsWith(".ts"))
    .sort();
}

function sourceHash(files) {
  const hash = createHash("sha256");
  for (const file of files) hash.update(relative(root, file)).update("\0").update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

function builtHash() {
  try {
    return readFileSync(stampFile, "utf8").trim();
  } catch {
    return null;
  }
}

const files = sourceFiles(srcDir);
// This script is hashed too: its esbuild options decide what dist/ holds.
const hash = sourceHash([fileURLToPath(import.meta.url), ...files]);
const fresh = builtHash() === hash;
// --check: only say whether dist/ is fresh (exit 0) or not (exit 1).
if (process.argv.includes("--check")) process.exit(fresh ? 0 : 1);
if (process.argv.includes("--if-stale") && fresh) process.exit(0);

const esbuild = await import("esbuild");
rmSync(distDir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: files,
  outdir: distDir,
  outbase: srcDir,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
});
writeFileSync(stampFile, `${hash}\n`);
