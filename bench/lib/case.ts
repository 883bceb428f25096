/** What a benchmark case is, and what it gets to work with. */
import type { EmulatorHostOptions } from "./emulator-protocol.js";
import type { EmulatorProcess } from "./emulator.js";
import type { GatewayProcess, GatewayStartOptions } from "./gateway.js";
import type { GraphQLClient } from "./graphql.js";
import type { HttpLoadMethods, UpstreamLoadMethods } from "./load-protocol.js";
import type { Check } from "./results.js";
import type { WorkerHandle } from "./rpc.js";

/** Figures one case measures that another's target depends on. */
export interface SharedFigures {
  /** Case 1: gateway median latency minus direct median latency at concurrency 1, ms. */
  addedMedianMs?: number;
}

export interface Stack {
  emulator: EmulatorProcess;
  gateway: GatewayProcess;
}

export interface CaseContext {
  quick: boolean;
  shared: SharedFigures;
  log: (message: string) => void;
  // Everything started through these is stopped when the case ends, pass or fail.
  emulator(options?: Partial<EmulatorHostOptions>): Promise<EmulatorProcess>;
  gateway(options: Omit<GatewayStartOptions, "build" | "logFile">, label?: string): Promise<GatewayProcess>;
  /** An emulator and a gateway pointed at it, started side by side. */
  stack(emulator?: Partial<EmulatorHostOptions>, gatewayEnv?: Readonly<Record<string, string>>): Promise<Stack>;
  graphql(url: string): GraphQLClient;
  /** A fresh path in this run's log directory, for a process the case starts itself. */
  logFile(label: string): string;
  httpLoad(): WorkerHandle<HttpLoadMethods>;
  clientLoad(): WorkerHandle<UpstreamLoadMethods>;
  sdkLoad(): WorkerHandle<UpstreamLoadMethods>;
}

export interface CaseOutcome {
  figures: Record<string, number>;
  ratio: number;
  ratioOf: string;
  checks: Check[];
  summary: string;
  notes?: string[];
}

export interface BenchCase {
  id: string;
  name: string;
  /** The target as the issue states it. */
  target: string;
  run(context: CaseContext): Promise<CaseOutcome>;
}
