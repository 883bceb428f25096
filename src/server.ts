/**
 * The HTTP face of the gateway: a node:http listener in front of the yoga instance (yoga.ts)
 * and of graphql-ws (its WebSocket upgrades on the GraphQL path),
 * GET /health (the process is alive), GET /ready (the upstream answered recently and the
 * listener is not draining; yoga's readiness check answers it), the metrics listener, and
 * graceful shutdown. Everything it talks to is passed in.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { createGatewayTaskWatch, type TaskWatchHub } from "./live/index.js";
import { startMetricsServer, type MetricsServer } from "./observability/metrics-server.js";
import type { ReadyAnswer } from "./observability/plugins.js";
import { createReadiness, type ReadinessCheck } from "./observability/readiness.js";
import { createGatewayGraphQL, GRAPHQL_PATH, type GatewayYoga, type GatewayYogaOptions } from "./yoga.js";

export { GRAPHQL_PATH, type GatewayContext } from "./yoga.js";

export interface GatewayDeps extends GatewayYogaOptions {
  /** Wall clock, epoch ms (resolvers, GraphQL dates). Default Date.now. */
  now?: () => number;
  /** Monotonic ms for durations. Default performance.now. */
  monotonic?: () => number;
  /**
   * Upstream liveness for /ready: a cheap Describe page read that must bypass any page cache.
   * Default: `api.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 1 })`.
   */
  probeUpstream?: (signal: AbortSignal) => Promise<unknown>;
  /** More readiness checks (e.g. Redis). */
  readinessChecks?: readonly ReadinessCheck[];
  readiness?: { cacheMs?: number; timeoutMs?: number };
  /**
   * Shared task watches for `exportTaskUpdated`; default one polling `api` in this process
   * (app.ts passes a Redis-coordinated one with REDIS_URL). Closed when draining begins.
   */
  taskWatch?: TaskWatchHub;
  /** Run after the listener has drained, in order: close the upstream client, Redis, the emulator. */
  onClose?: ReadonlyArray<() => Promise<void>>;
}

export interface Gateway {
  yoga: GatewayYoga;
  server: Server;
  /** Starts the listeners; resolves with the GraphQL URL. */
  listen(): Promise<string>;
  /** Base URL (`http://host:port`) once listening. */
  readonly url: string;
  /** Metrics URL once listening (null when METRICS_PORT=0). */
  readonly metricsUrl: string | null;
  readonly draining: boolean;
  /** The live task watches (subscriptions). */
  readonly taskWatch: TaskWatchHub;
  /** Graceful: /ready 503, stop accepting, finish in-flight requests, then run `onClose`. Idempotent. */
  close(): Promise<void>;
}

export function createGateway(deps: GatewayDeps): Gateway {
  const { config, logger, metrics } = deps;
  const monotonic = deps.monotonic ?? (() => performance.now());
  const taskWatch =
    deps.taskWatch ?? createGatewayTaskWatch({ api: deps.api, ...config.subscriptions, logger, registry: metrics.registry });

  const probe = deps.probeUpstream ?? ((signal) => deps.api.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 1 }, { signal }));
  const readiness = createReadiness({
    checks: [{ name: "upstream", check: (signal) => probe(signal).then(() => true) }, ...(deps.readinessChecks ?? [])],
    now: monotonic,
    cacheMs: deps.readiness?.cacheMs ?? 2000,
    timeoutMs: deps.readiness?.timeoutMs ?? Math.max(1000, Math.min(config.upstream.timeoutMs * 2, 10_000)),
  });

  let draining = false;
  let closing: Promise<void> | null = null;
  let metricsServer: MetricsServer | null = null;
  let baseUrl = "";

  async function ready(): Promise<ReadyAnswer> {
    if (draining) return { status: 503, body: { status: "draining", checks: {} } };
    const report = await readiness.report();
    if (draining) return { status: 503, body: { status: "draining", checks: report.checks } };
    // Degraded (Redis down): still ready, reads are served; the body says what is missing.
    const status = report.ready ? (report.degraded ? "degraded" : "ready") : "unavailable";
    return { status: report.ready ? 200 : 503, body: { status, checks: report.checks } };
  }

  const { yoga, websocket } = createGatewayGraphQL({ ...deps, now: deps.now ?? Date.now, monotonic, taskWatch, ready });

  const server = createServer((req, res) => {
    if (draining) res.setHeader("connection", "close");
    // Liveness stays out of yoga: it says the process runs, whatever the GraphQL side is doing.
    if ((req.url ?? "/").split("?")[0] === "/health") {
      sendJson(req, res, 200, { status: "ok" });
      return;
    }
    // yoga answers synchronously or with a promise; either way a failure must not escape.
    const handle = (): unknown => yoga(req, res);
    Promise.resolve()
      .then(() => (deps.logContext ? deps.logContext.run(handle) : handle()))
      .catch((error: unknown) => {
        logger.error({ err: error }, "request handler failed");
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  // Bound how long a slow client may take to send its request (not how long we take to answer).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on("request", (_req: IncomingMessage, res: ServerResponse) => {
    res.once("finish", () => {
      // A connection that was busy when draining began is idle now: let it go.
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
  });

  // graphql-ws on the GraphQL path; a draining gateway takes no new connections.
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (draining) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    websocket.handleUpgrade(req, socket, head);
  });

  async function drainAndClose(): Promise<void> {
    draining = true;
    logger.info({ drainDelayMs: config.shutdown.drainDelayMs }, "shutting down: draining");
    if (config.shutdown.drainDelayMs > 0) await sleep(config.shutdown.drainDelayMs);
    // Subscription streams would hold their connections open until the force timeout: complete them.
    await taskWatch.close();
    // WebSocket connections would hold the listener open too: close them (1001 Going away).
    await websocket.close();
    if (server.listening) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const forceTimer = setTimeout(() => {
        logger.warn({ timeoutMs: config.shutdown.timeoutMs }, "shutdown timeout: cutting remaining connections");
        server.closeAllConnections();
      }, config.shutdown.timeoutMs);
      forceTimer.unref();
      await closed;
      clearTimeout(forceTimer);
    }
    await metricsServer?.close();
    await yoga.dispose();
    for (const hook of deps.onClose ?? []) {
      try {
        await hook();
      } catch (error) {
        logger.error({ err: error }, "shutdown hook failed");
      }
    }
    logger.info("shut down");
  }

  async function listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.listen.port, config.listen.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    baseUrl = `http://${urlHost(config.listen.host)}:${port}`;
    if (config.metrics !== null) {
      try {
        metricsServer = await startMetricsServer({ ...config.metrics, metrics });
      } catch (error) {
        // Metrics are secondary: a taken port (another replica on this host) must not stop GraphQL.
        logger.warn({ err: error, host: config.metrics.host, port: config.metrics.port }, "metrics listener failed to start; set METRICS_PORT (0 = off)");
      }
    }
    logger.info(
      {
        url: `${baseUrl}${GRAPHQL_PATH}`,
        graphiql: config.graphiql,
        metrics: metricsServer?.url ?? null,
        // Trusted-documents mode: how many documents the manifest allows (null = any operation).
        trustedDocuments: config.trustedDocuments?.documents.size ?? null,
      },
      "gateway listening",
    );
    return `${baseUrl}${GRAPHQL_PATH}`;
  }

  return {
    yoga,
    server,
    get url() {
      return baseUrl;
    },
    get metricsUrl() {
      return metricsServer?.url ?? null;
    },
    get draining() {
      return draining;
    },
    taskWatch,
    listen,
    close() {
      closing ??= drainAndClose();
      return closing;
    },
  };
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(req.method === "HEAD" ? undefined : text);
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}
