/**
 * The embedded CDN export API emulator (think LocalStack): `startEmulator(options)` serves the
 * six operations on a loopback port, signed with V3 or V1, with the documented rules, quota,
 * task lifecycle, export files (.xlsx usage details, .pdf user-usage reports), synthetic history
 * and programmable faults.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EXPORT_KINDS, type ExportKind } from "../upstream/types.js";
import { newAccount, type Account } from "./account.js";
import { DataItems } from "./data-items.js";
import { FaultInjector } from "./faults.js";
import { DEFAULT_HISTORY_SIZE, generateHistory } from "./history.js";
import { NonceStore } from "./nonce-store.js";
import { seededRandom } from "./prng.js";
import { CallQuota } from "./quota.js";
import { createRequestHandler, type EmulatorCore } from "./server.js";
import { CallStats } from "./stats.js";
import { TaskRegistry } from "./task-registry.js";
import type { EmulatorOptions, RunningEmulator } from "./types.js";
import { TIMESTAMP_WINDOW_MS } from "./verify-signature.js";
import { DEFAULT_WORKBOOK_SHAPE } from "./workbook-shape.js";

export type { EmulatorFaults, EmulatorOptions, EmulatorStats, RunningEmulator } from "./types.js";
export type { WorkbookShape } from "./workbook-shape.js";

/** A demo credential, printed by `npm run emulator`; it opens nothing but a local emulator. */
export const DEMO_ACCESS_KEY_ID = "LTAIemulatorDemoKey";
export const DEMO_ACCESS_KEY_SECRET = "emulator-demo-secret";
export const DEFAULT_TASK_SECONDS = 5;
export const DEFAULT_QUOTA_PER_SECOND = 100;
export const DEFAULT_SEED = 20180510;
/** Nonces remembered at most: 15 minutes of the default quota, with room to spare. */
const MAX_NONCES = 200_000;

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const now = options.now ?? Date.now;
  const taskSeconds = options.taskSeconds ?? DEFAULT_TASK_SECONDS;
  const quotaPerSecond = options.quotaPerSecond ?? DEFAULT_QUOTA_PER_SECOND;
  const seed = options.seed ?? DEFAULT_SEED;
  requireRange("taskSeconds", taskSeconds, 0, Number.MAX_SAFE_INTEGER);
  requireRange("quotaPerSecond", quotaPerSecond, 1, Number.MAX_SAFE_INTEGER);
  const account = newAccount(
    options.accessKeyId ?? DEMO_ACCESS_KEY_ID,
    options.accessKeySecret ?? DEMO_ACCESS_KEY_SECRET,
    options.securityToken || undefined,
  );
  const registry = new TaskRegistry();
  const history = generateHistory({ now: now(), sizes: historySizes(options.historySize), random: seededRandom(seed), domains: account.domains });
  for (const task of history) registry.add(account, task);

  let baseUrl = "";
  const core: EmulatorCore = {
    accounts: new Map<string, Account>([[account.accessKeyId, account]]),
    registry,
    quota: new CallQuota(quotaPerSecond),
    nonces: new NonceStore(TIMESTAMP_WINDOW_MS, MAX_NONCES),
    faults: new FaultInjector(seededRandom(seed ^ 0x5eed), options.faults ?? {}),
    stats: new CallStats(),
    now,
    taskSeconds,
    items: new DataItems(() => baseUrl),
    workbookShape: { ...DEFAULT_WORKBOOK_SHAPE, ...options.workbookShape },
    onInternalError: options.onInternalError ?? (() => undefined),
  };
  const server = createServer(createRequestHandler(core));
  const port = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  baseUrl = `http://${urlHost(options.host ?? "127.0.0.1")}:${port}`;

  return {
    url: baseUrl,
    accessKeyId: account.accessKeyId,
    accessKeySecret: account.accessKeySecret,
    ...(account.securityToken === undefined ? {} : { securityToken: account.securityToken }),
    stats: () => core.stats.snapshot(),
    resetStats: () => core.stats.reset(),
    setFaults: (faults) => core.faults.set(faults),
    close: once(() => close(server)),
  };
}

function historySizes(option: EmulatorOptions["historySize"]): Record<ExportKind, number> {
  const sizes = { ...DEFAULT_HISTORY_SIZE };
  for (const kind of EXPORT_KINDS) {
    const size = typeof option === "number" ? option : option?.[kind];
    if (size !== undefined) sizes[kind] = requireRange(`historySize.${kind}`, size, 0, 100_000);
  }
  return sizes;
}

function requireRange(name: string, value: number, min: number, max: number): number {
  if (!(Number.isFinite(value) && value >= min && value <= max)) {
    throw new RangeError(`emulator option ${name} must be a number from ${min} to ${max} (got ${value})`);
  }
  return value;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port); // listening on a TCP port: always AddressInfo
    });
  });
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** close() may be called more than once (tests, signal handlers): all get the first result. */
function once(action: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= action());
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
