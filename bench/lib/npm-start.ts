/**
 * The quick start as a user runs it: `npm start` in the checkout (npm, the staleness check of
 * `prestart`, then `node dist/main.js` on the embedded emulator), timed from spawn to the first
 * GraphQL answer with data. Only PORT is set (to a free one), as a user's shell would leave the rest.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "./gateway.js";
import { freePort } from "./ports.js";

const FIRST_QUERY = JSON.stringify({ query: "{ tasks(first: 1) { totalCount } }" });

/** Milliseconds from `npm start` to the first `tasks` answer; the whole process group is stopped after. */
export async function timeNpmStart(logFile: string, timeoutMs = 30_000): Promise<number> {
  const port = await freePort();
  const log = openSync(logFile, "w");
  const spawnedAt = performance.now();
  const child = spawn("npm", ["start"], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: String(port), METRICS_PORT: "0" },
    stdio: ["ignore", log, log],
    detached: true, // its own process group: npm, sh and node stop together
  });
  closeSync(log);
  const stopGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  try {
    const deadline = spawnedAt + timeoutMs;
    while (performance.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}); log ${logFile}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: FIRST_QUERY,
          signal: AbortSignal.timeout(1_000),
        });
        const body = (await response.json()) as { data?: unknown };
        if (response.status === 200 && body.data != null) return performance.now() - spawnedAt;
      } catch {
        // not listening yet
      }
      await sleep(5);
    }
    throw new Error(`npm start gave no answer within ${timeoutMs} ms; log ${logFile}`);
  } finally {
    const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));
    stopGroup("SIGTERM");
    const timer = setTimeout(() => stopGroup("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
