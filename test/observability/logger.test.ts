/**
 * The gateway's logger on stdout (src/observability/logger.ts): every line is written when it
 * is logged, so a process that dies right after loses none of them.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("createLogger on stdout", () => {
  it("a crash right after logging loses no line", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/log-then-crash.ts"], { cwd: ROOT, env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    const [, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    expect(signal).toBe("SIGKILL");
    const lines = out.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.msg)).toEqual(["before the crash", "last words"]);
  });
});
