/**
 * The real process wiring (`startApp`, as `npm start` runs it) on 127.0.0.1 port 0, with the
 * embedded emulator, logs collected in memory and metrics on an ephemeral port.
 */
import type { DestinationStream } from "pino";
import { startApp, type App, type AppOptions } from "../../src/app.js";
import { loadConfig, type Env, type GatewayConfig } from "../../src/config.js";

export interface LogSink extends DestinationStream {
  lines: string[];
  /** Parsed JSON lines. */
  records(): Array<Record<string, unknown>>;
}

export function logSink(): LogSink {
  const lines: string[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
    records: () => lines.flatMap((l) => l.split("\n")).filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export interface ServerHarness extends App {
  logs: LogSink;
  config: GatewayConfig;
  /** Base URL without path. */
  base: string;
}

export interface ServerHarnessOptions {
  env?: Env;
  /** Edit the loaded config (e.g. metrics on an ephemeral port). */
  configure?: (config: GatewayConfig) => GatewayConfig;
  app?: Omit<AppOptions, "logDestination">;
}

export async function startServerHarness(options: ServerHarnessOptions = {}): Promise<ServerHarness> {
  const loaded = loadConfig({ PORT: "0", METRICS_PORT: "0", LOG_LEVEL: "debug", EMULATOR_TASK_SECONDS: "1", ...options.env });
  const config = options.configure ? options.configure(loaded) : loaded;
  const logs = logSink();
  const app = await startApp(config, { processMetrics: false, ...options.app, logDestination: logs });
  return { ...app, close: () => app.close(), logs, config, base: app.gateway.url };
}

/** POST a GraphQL operation as JSON. */
export async function postGraphQL(
  url: string,
  query: string,
  options: { variables?: Record<string, unknown>; headers?: Record<string, string>; operationName?: string } = {},
): Promise<{ status: number; headers: Headers; body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...options.headers },
    body: JSON.stringify({ query, variables: options.variables ?? {}, ...(options.operationName ? { operationName: options.operationName } : {}) }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  return { status: response.status, headers: response.headers, body };
}
