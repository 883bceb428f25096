/**
 * Composition: one validated config → the running process (embedded emulator when there are no
 * credentials, signed client, page cache, gateway). main.ts calls this; tests call it too, so
 * they exercise exactly the wiring `npm start` uses.
 */
import type { DestinationStream } from "pino";
import { configSecrets, type GatewayConfig } from "./config.js";
import { startEmulator } from "./emulator/index.js";
import type { RunningEmulator } from "./emulator/types.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { combineObservers, createMetrics, upstreamLogObserver, type GatewayMetrics } from "./observability/metrics.js";
import { schema } from "./schema/index.js";
import { createGateway, type Gateway, type GatewayDeps } from "./server.js";
import { createCdnClient, type CdnClient } from "./upstream/client.js";
import { Credentials } from "./upstream/credentials.js";
import { createLocalInvalidationBus } from "./upstream/invalidation.js";
import { createCachedApi } from "./upstream/page-cache.js";
import { createMemoryQuota } from "./upstream/quota.js";

export interface AppOptions {
  /** Log destination (tests collect lines); stdout when omitted. */
  logDestination?: DestinationStream;
  logger?: Logger;
  /** Process metrics (heap, event loop) on the registry. Default true. */
  processMetrics?: boolean;
  /** Overrides for gateway deps (tests: readiness cache, extra checks). */
  gateway?: Partial<Pick<GatewayDeps, "readiness" | "readinessChecks" | "plugins" | "now">>;
}

export interface App {
  gateway: Gateway;
  /** The embedded emulator, when the config has no credentials. */
  emulator: RunningEmulator | null;
  client: CdnClient;
  logger: Logger;
  metrics: GatewayMetrics;
  /** The GraphQL URL. */
  url: string;
  /** Graceful shutdown: drains the gateway, then closes the client and the emulator. */
  close(): Promise<void>;
}

export async function startApp(config: GatewayConfig, options: AppOptions = {}): Promise<App> {
  const logger =
    options.logger ??
    createLogger({ level: config.logLevel, secrets: configSecrets(config), ...(options.logDestination ? { destination: options.logDestination } : {}) });

  let emulator: RunningEmulator | null = null;
  let credentials = config.upstream.credentials;
  let endpoint = config.upstream.endpoint;
  if (credentials === null) {
    emulator = await startEmulator({
      host: "127.0.0.1",
      port: 0,
      ...(config.emulator.accessKeyId === null ? {} : { accessKeyId: config.emulator.accessKeyId }),
      ...(config.emulator.accessKeySecret === null ? {} : { accessKeySecret: config.emulator.accessKeySecret.reveal() }),
      taskSeconds: config.emulator.taskSeconds,
    });
    credentials = new Credentials({ accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret });
    endpoint = emulator.url;
    logger.info(
      { emulatorUrl: emulator.url, accessKeyId: emulator.accessKeyId },
      `No ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET set: using the embedded CDN export emulator at ${emulator.url} (synthetic tasks, nothing leaves this machine)`,
    );
  }

  const metrics = createMetrics({ processMetrics: options.processMetrics ?? true });
  const client = createCdnClient({
    endpoint,
    credentials,
    signatureVersion: config.upstream.signatureVersion,
    timeoutMs: config.upstream.timeoutMs,
    maxAttempts: config.upstream.maxAttempts,
    quota: createMemoryQuota({ ratePerSecond: config.upstream.rateLimit }),
    observer: combineObservers(metrics.upstreamObserver, upstreamLogObserver(logger)),
  });
  const bus = createLocalInvalidationBus({ onError: (error) => logger.warn({ err: error }, "page cache invalidation failed") });
  const api = createCachedApi(client, { ttlMs: config.upstream.cacheTtlMs, bus });

  const runningEmulator = emulator;
  const gateway = createGateway({
    config,
    schema,
    api,
    logger,
    metrics,
    // Readiness must see the upstream itself, not the page cache.
    probeUpstream: (signal) => client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 1 }, { signal }),
    onClose: [
      async () => {
        api.close();
        await bus.close();
      },
      () => client.close(),
      ...(runningEmulator === null ? [] : [() => runningEmulator.close()]),
    ],
    ...options.gateway,
  });
  let url: string;
  try {
    url = await gateway.listen();
  } catch (error) {
    await client.close();
    await emulator?.close();
    throw error;
  }
  return { gateway, emulator, client, logger, metrics, url, close: () => gateway.close() };
}
