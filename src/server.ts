/**
 * The HTTP face of the gateway: graphql-yoga at /graphql (with GraphiQL served from the bundled
 * assets, so it works offline), GET /health (process alive), GET /ready (upstream answered
 * recently and not draining), and graceful shutdown. Everything it talks to is passed in.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { GraphQLSchema } from "graphql";
import { createYoga, type GraphiQLOptions, type Plugin, type YogaLogger, type YogaServerInstance } from "graphql-yoga";
import type { GatewayConfig } from "./config.js";
import { createRequestContext, type IdempotencyRunner, type Principal, type RequestContext } from "./context.js";
import { countUpstreamCalls } from "./observability/counting-api.js";
import { RecentTotals } from "./reading/recent-totals.js";
import type { Logger } from "./observability/logger.js";
import type { GatewayMetrics } from "./observability/metrics.js";
import { startMetricsServer, type MetricsServer } from "./observability/metrics-server.js";
import { useAccessLog, useGraphQLMetrics, useRequestId } from "./observability/plugins.js";
import { createReadiness, type ReadinessCheck } from "./observability/readiness.js";
import type { RequestLogContext } from "./observability/request-log-context.js";
import { RequestTracker } from "./observability/request-tracker.js";
import { createApiKeyRing } from "./auth/api-keys.js";
import { createAuthenticator, type Authenticator } from "./auth/authenticate.js";
import { createJwtVerifier } from "./auth/jwt.js";
import { useAuthentication } from "./auth/plugin.js";
import { useCsrfPrevention } from "./http/csrf.js";
import { useSafeRequestParsing } from "./http/safe-request-parsing.js";
import { useRequestBodyLimit } from "./http/body-limit.js";
import { useOperationLimits } from "./http/operation-limits.js";
import { useTrustedDocuments } from "./http/trusted-documents.js";
import { useCompiledExecution } from "./execution/compiled-execution.js";
import { createGatewayTaskWatch, type TaskWatchHub } from "./live/index.js";
import type { IdempotencyStore } from "./state/idempotency.js";
import { useIdempotency } from "./http/idempotency-key.js";
import type { CdnExportApi } from "./upstream/types.js";
import type { DownloadUrlPolicy } from "./exports/download-policy.js";

export const GRAPHQL_PATH = "/graphql";

/** What GraphiQL shows on first open: the tasks connection, ready to run. */
export const DEFAULT_GRAPHIQL_QUERY = `# Ctrl+Enter (or the ▶ button) runs the query.
query Tasks {
  tasks(first: 20) {
    totalCount
    edges {
      cursor
      node {
        taskId
        name
        status
        createdAt
        downloadUrl
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`;

export interface GatewayDeps {
  config: GatewayConfig;
  schema: GraphQLSchema;
  /** What resolvers call (may be a cached/coalescing wrapper around the signed client). */
  api: CdnExportApi;
  logger: Logger;
  /**
   * Each GraphQL request runs in its own slot of this context, named by the request-id plugin;
   * a logger built with its `fields` as mixin then tags every line with the request id.
   */
  logContext?: RequestLogContext;
  metrics: GatewayMetrics;
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
  /** Who is calling; default built from `config.auth` (API keys, then JWT). */
  authenticator?: Authenticator;
  /** More yoga plugins (persisted operations...). */
  plugins?: readonly Plugin[];
  idempotency?: IdempotencyRunner;
  /**
   * Idempotency records (memory or Redis): each request gets a runner scoped to its principal.
   * Takes precedence over `idempotency`.
   */
  idempotencyStore?: IdempotencyStore;
  /** Which DownloadUrls clients see; default https to Alibaba Cloud hosts only (context.ts). */
  downloadPolicy?: DownloadUrlPolicy;
  /**
   * Shared task watches for `exportTaskUpdated`; default one polling `api` in this process
   * (app.ts passes a Redis-coordinated one with REDIS_URL). Closed when draining begins.
   */
  taskWatch?: TaskWatchHub;
  /** Run after the listener has drained, in order: close the upstream client, Redis, the emulator. */
  onClose?: ReadonlyArray<() => Promise<void>>;
}

export interface Gateway {
  yoga: YogaServerInstance<Record<string, unknown>, GatewayContext>;
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

export type GatewayContext = RequestContext & { requestId: string };

export function createGateway(deps: GatewayDeps): Gateway {
  const { config, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const monotonic = deps.monotonic ?? (() => performance.now());
  const tracker = new RequestTracker();
  // Totals earlier requests read: entity scans plan their first wave with them (entity-scan.ts).
  const recentTotals = new RecentTotals();
  const taskWatch =
    deps.taskWatch ?? createGatewayTaskWatch({ api: deps.api, ...config.subscriptions, logger, registry: metrics.registry });

  const probe = deps.probeUpstream ?? ((signal) => deps.api.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 1 }, { signal }));
  const readiness = createReadiness({
    checks: [{ name: "upstream", check: (signal) => probe(signal).then(() => true) }, ...(deps.readinessChecks ?? [])],
    now: monotonic,
    cacheMs: deps.readiness?.cacheMs ?? 2000,
    timeoutMs: deps.readiness?.timeoutMs ?? Math.max(1000, Math.min(config.upstream.timeoutMs * 2, 10_000)),
  });

  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema: deps.schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    logging: yogaLogger(logger),
    // Unexpected errors become INTERNAL_SERVER_ERROR "Unexpected error." with no detail, even
    // with NODE_ENV=development; GraphQLErrors with codes pass through unchanged.
    maskedErrors: { isDev: false },
    // useRequestBodyLimit (below) enforces MAX_BODY_BYTES without yoga's per-request stream.
    maxRequestBodySize: false,
    graphiql: config.graphiql
      ? {
          title: "cdn-export-gateway",
          defaultQuery: DEFAULT_GRAPHIQL_QUERY,
          // With auth on, the Headers tab starts with the one header the user has to fill in.
          ...(config.auth.mode === "required" ? { defaultHeaders: JSON.stringify({ Authorization: "Bearer <your API key or JWT>" }, null, 2) } : {}),
        }
      : false,
    renderGraphiQL: cachedGraphiQL(),
    cors: corsOptions(config.corsOrigins),
    context: ({ request }): GatewayContext => {
      const tracked = tracker.get(request);
      const api = tracked === undefined ? deps.api : countUpstreamCalls(deps.api, () => {
              tracked.upstreamCalls++;
            });
      // The authentication plugin (below) replaces this with the checked caller.
      const principal: Principal = null;
      return {
        ...createRequestContext({
          api,
          now,
          principal,
          idempotencyKey: request.headers.get("idempotency-key"),
          ...(deps.idempotency === undefined ? {} : { idempotency: deps.idempotency }),
          ...(deps.downloadPolicy === undefined ? {} : { downloadPolicy: deps.downloadPolicy }),
          signal: request.signal,
          taskWatch,
          recentTotals,
        }),
        requestId: tracked?.requestId ?? "unknown",
      };
    },
    plugins: [
      useRequestId({ tracker, now: monotonic, ...(deps.logContext ? { logContext: deps.logContext } : {}) }),
      useAccessLog({ logger, tracker, now: monotonic }),
      useGraphQLMetrics(metrics.registry),
      useCsrfPrevention(),
      useRequestBodyLimit(config.limits.maxBodyBytes),
      useSafeRequestParsing(),
      useOperationLimits({ limits: config.limits, introspection: config.introspection, hideSuggestions: config.nodeEnv === "production" }),
      useAuthentication({
        authenticate: deps.authenticator ?? authenticatorFromConfig(config, logger),
        onFailure: ({ reason, request }) => logger.info({ reason, requestId: tracker.get(request)?.requestId }, "authentication refused"),
      }),
      // After authentication (401 first); before anything parses the client's text.
      ...(config.trustedDocuments === null
        ? []
        : [
            useTrustedDocuments({
              documents: config.trustedDocuments.documents,
              onRefused: ({ reason, request }) => logger.info({ reason, requestId: tracker.get(request)?.requestId }, "operation refused: not a trusted document"),
            }),
          ]),
      // After authentication: keys are scoped to the principal it established.
      ...(deps.idempotencyStore === undefined
        ? []
        : [
            useIdempotency({
              store: deps.idempotencyStore,
              onStoreError: (error, phase) => logger.warn({ err: error, phase }, "idempotency store failed"),
            }),
          ]),
      useCompiledExecution({ onCompileError: (errors) => logger.error({ errors }, "graphql-jit could not compile an operation") }),
      ...(deps.plugins ?? []),
    ],
  });

  let draining = false;
  let closing: Promise<void> | null = null;
  let metricsServer: MetricsServer | null = null;
  let baseUrl = "";

  const server = createServer((req, res) => {
    if (draining) res.setHeader("connection", "close");
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/health") {
      sendJson(req, res, 200, { status: "ok" });
      return;
    }
    if (path === "/ready") {
      void answerReady(req, res);
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

  async function answerReady(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (draining) {
      sendJson(req, res, 503, { status: "draining", checks: {} });
      return;
    }
    const report = await readiness.report();
    if (draining) {
      sendJson(req, res, 503, { status: "draining", checks: report.checks });
      return;
    }
    // Degraded (Redis down): still ready, reads are served; the body says what is missing.
    const status = report.ready ? (report.degraded ? "degraded" : "ready") : "unavailable";
    sendJson(req, res, report.ready ? 200 : 503, { status, checks: report.checks });
  }

  async function drainAndClose(): Promise<void> {
    draining = true;
    logger.info({ drainDelayMs: config.shutdown.drainDelayMs }, "shutting down: draining");
    if (config.shutdown.drainDelayMs > 0) await sleep(config.shutdown.drainDelayMs);
    // Subscription streams would hold their connections open until the force timeout: complete them.
    await taskWatch.close();
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
    async listen() {
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
    },
    close() {
      closing ??= drainAndClose();
      return closing;
    },
  };
}

export function authenticatorFromConfig(config: GatewayConfig, logger: Logger): Authenticator {
  const { auth } = config;
  return createAuthenticator({
    mode: auth.mode,
    apiKeys: auth.apiKeys.length > 0 ? createApiKeyRing(auth.apiKeys) : null,
    jwt:
      auth.jwt === null
        ? null
        : createJwtVerifier({
            jwksUrl: auth.jwt.jwksUrl,
            issuer: auth.jwt.issuer,
            audience: auth.jwt.audience,
            onReject: (reason) => logger.debug({ reason }, "JWT refused"),
          }),
  });
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

/** `"*"`: any origin (emulator demo); a list: those origins; `[]`: no CORS headers (same origin). */
function corsOptions(origins: "*" | string[]): false | { origin: string | string[]; credentials: boolean; methods: string[]; exposedHeaders: string[]; maxAge: number } {
  if (origins === "*") return { origin: "*", credentials: false, methods: ["GET", "POST", "OPTIONS"], exposedHeaders: ["x-request-id"], maxAge: 600 };
  if (origins.length === 0) return false;
  return { origin: origins, credentials: true, methods: ["GET", "POST", "OPTIONS"], exposedHeaders: ["x-request-id"], maxAge: 600 };
}

/**
 * GraphiQL from the bundled assets (@graphql-yoga/render-graphiql): no CDN, works offline. The
 * page is ~9 MB of inline scripts, so the module loads on the first page view (not at start-up)
 * and each rendering is kept, encoded once, per option set.
 */
function cachedGraphiQL(): (options: GraphiQLOptions) => Promise<Uint8Array<ArrayBuffer>> {
  const pages = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  return (options) => {
    const key = JSON.stringify(options);
    let page = pages.get(key);
    if (page === undefined) {
      page = import("@graphql-yoga/render-graphiql").then(({ renderGraphiQL }) => new TextEncoder().encode(renderGraphiQL(options)));
      if (pages.size < 8) pages.set(key, page);
    }
    return page;
  };
}

/** yoga's own log calls (mostly unexpected errors it masked) go to pino; errors via the err serializer. */
function yogaLogger(logger: Logger): YogaLogger {
  const forward =
    (level: "debug" | "info" | "warn" | "error") =>
    (...args: unknown[]): void => {
      const [first, ...rest] = args;
      if (first instanceof Error) logger[level]({ err: first }, level === "error" ? "unexpected error" : first.message);
      else logger[level]({ details: rest.length > 0 ? rest : undefined }, typeof first === "string" ? first : "yoga");
    };
  return { debug: forward("debug"), info: forward("info"), warn: forward("warn"), error: forward("error") };
}
