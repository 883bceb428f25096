/**
 * `npm start` runs `scripts/build.mjs --if-stale` first: dist/ is rebuilt whenever src/ differs
 * from what it was built from, so a checkout never serves a stale dist/. Proven on a scratch
 * checkout (its own src/, the real script, this repo's node_modules).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "build-test-"));
mkdirSync(join(scratch, "scripts"));
mkdirSync(join(scratch, "src", "parts"), { recursive: true });
copyFileSync(join(repo, "scripts", "build.mjs"), join(scratch, "scripts", "build.mjs"));
symlinkSync(join(repo, "node_modules"), join(scratch, "node_modules"));
writeFileSync(join(scratch, "package.json"), `{"type":"module"}`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function writeSources(word: string): void {
  writeFileSync(join(scratch, "src", "parts", "word.ts"), `export const word: string = "${word}";\n`);
  writeFileSync(join(scratch, "src", "main.ts"), `import { word } from "./parts/word.js";\nconsole.log(word);\n`);
}
function build(...args: string[]): number | null {
  return spawnSync(process.execPath, [join(scratch, "scripts", "build.mjs"), ...args], { cwd: scratch }).status;
}
function start(): string {
  expect(build("--if-stale")).toBe(0);
  return spawnSync(process.execPath, [join(scratch, "dist", "main.js")], { cwd: scratch, encoding: "utf8" }).stdout.trim();
}

describe("scripts/build.mjs", () => {
  it("builds dist/ from src/ and rebuilds it after any source change", () => {
    writeSources("first");
    expect(build("--check")).toBe(1); // nothing built yet
    expect(start()).toBe("first");
    expect(build("--check")).toBe(0);
    writeSources("second");
    expect(build("--check")).toBe(1);
    expect(start()).toBe("second");
  });

  it("a change to the build script itself (its esbuild options) makes dist/ stale too", () => {
    writeSources("third");
    expect(start()).toBe("third");
    expect(build("--check")).toBe(0);
    const script = join(scratch, "scripts", "build.mjs");
    writeFileSync(script, `${readFileSync(script, "utf8")}\n// changed\n`);
    expect(build("--check")).toBe(1);
    expect(start()).toBe("third");
    expect(build("--check")).toBe(0);
  });
});
