/**
 * The gateway under test as a separate process: `node dist/main.js` (what `npm start` runs), or
 * `node --import tsx src/main.ts` in quick mode (no build needed). Configured only through the
 * environment, like a deployment; stdout/stderr go to a log file that is shown when it fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { EmulatorEndpoint } from "./emulator-protocol.js";
import { freePort } from "./ports.js";
import { processCpuMs, processMemory, type ProcessMemory } from "./proc-stats.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The API key the bench's clients send (the gateway runs with auth on, as deployed). */
export const BENCH_API_KEY = "bench-key-0123456789abcdef";

export type GatewayBuild = "dist" | "source";

export interface GatewayStartOptions {
  build: GatewayBuild;
  /** A separate emulator process; omitted = the embedded emulator (no credentials). */
  upstream?: EmulatorEndpoint;
  /** Case-specific variables (CDN_CACHE_TTL_MS, CDN_RATE_LIMIT...). */
  env?: Readonly<Record<string, string>>;
  logFile: string;
  /** Give up waiting for /ready after this long. */
  readyTimeoutMs?: number;
  /** Write a V8 CPU profile (`node --cpu-prof`) into this directory when the gateway exits. */
  cpuProfileDir?: string;
}

export interface GatewayProcess {
  readonly pid: number;
  /** `http://127.0.0.1:<port>/graphql` */
  readonly graphqlUrl: string;
  /** Milliseconds from spawn to the first `/ready` 200. */
  readonly readyAfterMs: number;
  /** CPU milliseconds (user + system) the process had used by then. */
  readonly readyCpuMs: number;
  /** Its stdout/stderr (JSON log lines). */
  readonly logFile: string;
  memory(): Promise<ProcessMemory>;
  stop(): Promise<void>;
}

/** The command line `npm start` / `npm run dev` would run, without npm in between. */
function commandLine(options: GatewayStartOptions): string[] {
  const profile = options.cpuProfileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`];
  return [...profile, ...(options.build === "dist" ? ["dist/main.js"] : ["--import", "tsx", "src/main.ts"])];
}

function gatewayEnv(port: number, options: GatewayStartOptions): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    METRICS_PORT: "0",
    LOG_LEVEL: "info",
    SHUTDOWN_TIMEOUT_MS: "2000",
    GATEWAY_API_KEYS: JSON.stringify([{ name: "bench", key: BENCH_API_KEY, scopes: ["export:read", "export:create", "export:delete"] }]),
  };
  if (options.upstream !== undefined) {
    env.CDN_ENDPOINT = options.upstream.url;
    // The emulator's plain-http download URLs are shown, not refused (bench/README.md).
    env.CDN_DOWNLOAD_ORIGINS = options.upstream.url;
    env.ALIBABA_CLOUD_ACCESS_KEY_ID = options.upstream.accessKeyId;
    env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = options.upstream.accessKeySecret;
  } else {
    env.CDN_EMULATOR = "on"; // production without credentials must ask for the emulator by name
  }
  return { ...env, ...options.env };
}

async function waitForReady(baseUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`gateway exited (${child.exitCode ?? child.signalCode})`);
    try {
      const response = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  throw new Error(`gateway not ready after ${timeoutMs} ms`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function startGateway(options: GatewayStartOptions): Promise<GatewayProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const log = openSync(options.logFile, "w");
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, commandLine(options), {
    cwd: REPO_ROOT,
    env: gatewayEnv(port, options),
    stdio: ["ignore", log, log],
  });
  closeSync(log); // the child holds its own descriptor
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited(child);
    clearTimeout(timer);
  };
  try {
    await waitForReady(baseUrl, child, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    const tail = readFileSync(options.logFile, "utf8").split("\n").slice(-15).join("\n");
    throw new Error(`${error instanceof Error ? error.message : String(error)}; log ${options.logFile}:\n${tail}`);
  }
  const readyAfterMs = performance.now() - spawnedAt;
  const pid = child.pid ?? -1;
  const readyCpuMs = await processCpuMs(pid);
  return { pid, graphqlUrl: `${baseUrl}/graphql`, readyAfterMs, readyCpuMs, logFile: options.logFile, memory: () => processMemory(pid), stop };
}
