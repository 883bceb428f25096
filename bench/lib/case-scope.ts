/** A CaseContext whose emulator, gateways and clients are all stopped by `close()`. */
import { join } from "node:path";
import { DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET } from "../../src/emulator/index.js";
import type { CaseContext, SharedFigures } from "./case.js";
import { startEmulatorIn } from "./emulator.js";
import { startGateway, type GatewayBuild } from "./gateway.js";
import { GraphQLClient } from "./graphql.js";
import { freePort } from "./ports.js";
import { WorkerLease, type WorkerPool } from "./worker-pool.js";

export interface CaseScopeOptions {
  caseId: string;
  quick: boolean;
  build: GatewayBuild;
  logDir: string;
  profile: boolean;
  /** The run's helper processes (emulator host, load generators), shared by all cases. */
  workers: WorkerPool;
  shared: SharedFigures;
  log: (message: string) => void;
  /** Variables every gateway of the case gets besides its own (`--tracing`). */
  gatewayEnv?: Readonly<Record<string, string>>;
}

export class CaseScope {
  readonly #cleanups: (() => Promise<void>)[] = [];
  readonly #workers: WorkerLease;
  #gateways = 0;
  readonly context: CaseContext;

  constructor(options: CaseScopeOptions) {
    const workers = new WorkerLease(options.workers);
    this.#workers = workers;
    const own = <T>(value: T, cleanup: () => Promise<void>): T => {
      this.#cleanups.push(cleanup);
      return value;
    };
    this.context = {
      quick: options.quick,
      shared: options.shared,
      log: options.log,
      emulator: async (emulatorOptions) => {
        const emulator = await startEmulatorIn(workers.emulatorHost(), emulatorOptions);
        return own(emulator, () => emulator.stop());
      },
      gateway: async (gatewayOptions, label) => {
        this.#gateways += 1;
        const logFile = join(options.logDir, `${options.caseId}-${label ?? "gateway"}-${this.#gateways}.log`);
        const gateway = await startGateway({
          ...gatewayOptions,
          env: { ...options.gatewayEnv, ...gatewayOptions.env },
          build: options.build,
          logFile,
          ...(options.profile ? { cpuProfileDir: options.logDir } : {}),
        });
        return own(gateway, () => gateway.stop());
      },
      stack: async (emulatorOptions = {}, env = {}) => {
        // The emulator's port is chosen up front so both processes start at once; the gateway's
        // /ready turns 200 only once the emulator answers.
        const port = await freePort();
        const upstream = { url: `http://127.0.0.1:${port}`, accessKeyId: DEMO_ACCESS_KEY_ID, accessKeySecret: DEMO_ACCESS_KEY_SECRET };
        const [emulator, gateway] = await Promise.all([
          this.context.emulator({ ...emulatorOptions, port }),
          this.context.gateway({ upstream, env }),
        ]);
        if (emulator.endpoint.url !== upstream.url) throw new Error(`emulator listens on ${emulator.endpoint.url}, not ${upstream.url}`);
        return { emulator, gateway };
      },
      logFile: (label) => {
        this.#gateways += 1;
        return join(options.logDir, `${options.caseId}-${label}-${this.#gateways}.log`);
      },
      graphql: (url) => {
        const client = new GraphQLClient(url);
        return own(client, () => client.close());
      },
      httpLoad: () => workers.httpLoad(),
      clientLoad: () => workers.clientLoad(),
      sdkLoad: () => workers.sdkLoad(),
    };
  }

  /** Stops everything, newest first (clients before the gateway, the gateway before its upstream). */
  async close(): Promise<void> {
    for (const cleanup of this.#cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // best effort: a process that already died has nothing to stop
      }
    }
    this.#cleanups.length = 0;
    this.#workers.giveBack();
  }
}
