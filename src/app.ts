/**
 * Composition: one validated config → the running process (embedded emulator when there are no
 * credentials, signed client, page cache, gateway). main.ts calls this; tests call it too, so
 * they exercise exactly the wiring `npm start` uses.
 */
import type { DestinationStream } from "pino";
import { configSecrets, type GatewayConfig } from "./config.js";
import type { RunningEmulator } from "./emulator/types.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { RequestLogContext } from "./observability/request-log-context.js";
import { withTraceLogFields } from "./observability/spans.js";
import { combineObservers, createMetrics, upstreamLogObserver, type GatewayMetrics } from "./observability/metrics.js";
import { schema } from "./schema/index.js";
import { createGateway, type Gateway, type GatewayDeps } from "./server.js";
import { downloadUrlPolicy, reportOncePerHost } from "./exports/download-policy.js";
import { createExportReading, type ExportReading } from "./exports/export-reading.js";
import type { ExportStepInfo } from "./exports/export-contents.js";
import { recordQuotaWait, traceExport, type ExportSpanFacts } from "./observability/spans.js";
import { traceAttempt } from "./observability/attempt-span.js";
import { createCdnClient, type CdnClient } from "./upstream/client.js";
import { Credentials } from "./upstream/credentials.js";
import { createQuota } from "./upstream/quota/index.js";
import { createSharedState, type SharedState } from "./state/shared-state.js";
import type { RedisTarget } from "./state/redis.js";
import { createGatewayTaskWatch } from "./live/index.js";
import { createPageCache } from "./reading/page-cache.js";

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
  /** Quota, invalidation bus and idempotency records: on Redis with `REDIS_URL`, else in-process. */
  state: SharedState;
  /** Finished exports' files, read and kept (tests and the benchmark read its stats). */
  exportReading: ExportReading;
  logger: Logger;
  metrics: GatewayMetrics;
  /** The GraphQL URL. */
  url: string;
  /** Graceful shutdown: drains the gateway, then closes the client and the emulator. */
  close(): Promise<void>;
}

export async function startApp(config: GatewayConfig, options: AppOptions = {}): Promise<App> {
  // Every line written while a request is handled carries its id (a given `logger` opts out),
  // and, with tracing on, the traceId and spanId it was written in.
  const logContext = new RequestLogContext();
  const logger =
    options.logger ??
    createLogger({
      level: config.logLevel,
      secrets: configSecrets(config),
      mixin: withTraceLogFields(logContext.fields),
      ...(options.logDestination ? { destination: options.logDestination } : {}),
    });

  let emulator: RunningEmulator | null = null;
  let credentials = config.upstream.credentials;
  let endpoint = config.upstream.endpoint;
  if (credentials === null) {
    // Loaded only without credentials: a real deployment never needs the emulator's code.
    const { startEmulator } = await import("./emulator/index.js");
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
  let state: SharedState;
  try {
    state = await createSharedState({
      redis: redisTarget(config.redis),
      keyPrefix: config.redisKeyPrefix,
      logger,
    });
  } catch (error) {
    await emulator?.close();
    throw error;
  }
  // CDN_RATE_LIMIT calls per second for all replicas together (through Redis when they share
  // it, else in process); CDN_QUOTA_WAIT_MS for a slot at most.
  const quota = createQuota({ ratePerSecond: config.upstream.rateLimit, maxWaitMs: config.upstream.quotaWaitMs, store: state.quotaStore });
  const client = createCdnClient({
    endpoint,
    credentials,
    signatureVersion: config.upstream.signatureVersion,
    timeoutMs: config.upstream.timeoutMs,
    maxAttempts: config.upstream.maxAttempts,
    quota,
    observer: combineObservers(metrics.upstreamObserver, upstreamLogObserver(logger)),
    // Tracing's CLIENT span per attempt and the page read's quota wait (no-ops with tracing off).
    traceAttempt,
    onQuotaWait: recordQuotaWait,
  });
  const api = createPageCache(client, {
    ttlMs: config.upstream.cacheTtlMs,
    bus: state.bus,
    // With Redis, a page any replica read within the window is answered from there.
    shared: state.reads,
    onError: (error) => logger.warn({ err: error }, "page cache invalidation publish failed"),
  });

  // DownloadUrls reach browsers: only the upstream's own download hosts, CDN_DOWNLOAD_ORIGINS
  // and, in emulator mode, the emulator's origin. Refusals log the host and reason, never the
  // signed URL, once per host and reason: a refused host is refused for every task on every read.
  // The gateway reads export files under the same policy.
  const downloadPolicy = downloadUrlPolicy({
    origins: [...(emulator === null ? [] : [emulator.url]), ...config.upstream.downloadOrigins],
    onRefused: reportOncePerHost((event) => logger.warn(event, "download URL refused")),
  });
  const exportReading = createExportReading({
    limits: config.exports,
    policy: downloadPolicy,
    upstream: client,
    redis: state.redis === null ? null : { commands: state.redis.commands, keyPrefix: config.redisKeyPrefix },
    onSharedStoreError: (error) => logger.warn({ err: error }, "shared export store failed: reading the file here"),
    onRead: (event) => logger.info(event, "export file read"),
    // Spans for each download and parse (no-ops with tracing off): the export key and the host only.
    around: {
      fetch: (info, run) => traceExport("export.fetch", exportFacts(info), () => run()),
      parse: (info, run) => traceExport("export.parse", exportFacts(info), () => run()),
    },
  });

  const runningEmulator = emulator;
  const gateway = createGateway({
    config,
    schema,
    api,
    logger,
    logContext,
    metrics,
    downloadPolicy,
    exportFiles: exportReading,
    // Readiness must see the upstream itself, not the page cache.
    probeUpstream: (signal) => client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 1 }, { signal }),
    idempotencyStore: state.idempotency,
    persistedQueries: state.persistedQueries,
    // exportTaskUpdated: with Redis one replica polls each watched task, the others follow.
    taskWatch: createGatewayTaskWatch({
      api,
      ...config.subscriptions,
      logger,
      registry: metrics.registry,
      redis: state.redis === null ? null : { commands: state.redis.commands, subscriber: state.redis.subscriber, keyPrefix: config.redisKeyPrefix },
    }),
    onClose: [
      () => {
        api.close();
        return Promise.resolve();
      },
      () => client.close(),
      // Says goodbye to the other replicas (they stop keeping this one's share) before Redis closes.
      () => quota.close?.() ?? Promise.resolve(),
      () => exportReading.close(),
      () => state.close(),
      ...(runningEmulator === null ? [] : [() => runningEmulator.close()]),
    ],
    ...options.gateway,
    readinessChecks: [...state.readinessChecks, ...(options.gateway?.readinessChecks ?? [])],
  });
  let url: string;
  try {
    url = await gateway.listen();
  } catch (error) {
    api.close();
    await client.close();
    await quota.close?.();
    await exportReading.close();
    await state.close();
    await emulator?.close();
    throw error;
  }
  return { gateway, emulator, client, state, exportReading, logger, metrics, url, close: () => gateway.close() };
}

/** The config's Redis settings as the connections take them (secrets revealed here, nowhere else). */
function redisTarget(redis: GatewayConfig["redis"]): RedisTarget | null {
  if (redis === null) return null;
  if (redis.mode === "standalone") return { mode: "standalone", url: redis.url.reveal() };
  const auth = { ...(redis.username === null ? {} : { username: redis.username }), ...(redis.password === null ? {} : { password: redis.password.reveal() }) };
  return redis.mode === "sentinel" ? { mode: "sentinel", sentinels: redis.sentinels, name: redis.name, ...auth } : { mode: "cluster", nodes: redis.nodes, ...auth };
}

/** `USAGE_DETAIL:<taskId>` and the storage host, as export spans record them. */
function exportFacts(info: ExportStepInfo): ExportSpanFacts {
  const [kind, taskId] = info.key.split(":", 2);
  return { ...(kind === undefined ? {} : { kind }), ...(taskId === undefined ? {} : { taskId }), host: info.host };
}
