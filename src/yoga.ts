/**
 * The GraphQL side of the gateway: graphql-yoga at /graphql, its plugins in one ordered list
 * (`gatewayPlugins`), the per-request context, and graphql-ws on the same path running every
 * operation through the same yoga instance. The HTTP listener around it is server.ts.
 */
import type { GraphQLSchema } from "graphql";
import { createYoga, type Plugin, type YogaLogger, type YogaServerInstance, type YogaServerOptions } from "graphql-yoga";
import type { GatewayConfig } from "./config.js";
import { createRequestContext, type ExportFiles, type IdempotencyRunner, type Principal, type RequestContext } from "./context.js";
import { createApiKeyRing } from "./auth/api-keys.js";
import { createAuthenticator, type Authenticator } from "./auth/authenticate.js";
import { createJwtVerifier } from "./auth/jwt.js";
import { requestAuthentication, useAuthentication } from "./auth/plugin.js";
import { bundledGraphiQL, graphiqlOptions } from "./graphiql.js";
import { useRequestBodyLimit } from "./http/body-limit.js";
import { useCsrfPrevention } from "./http/csrf.js";
import { useGraphQLJsExecution } from "./http/graphql-js-execution.js";
import { createGraphQLWsServer, type GraphQLWsServer } from "./http/graphql-ws.js";
import { useAutomaticPersistedQueries } from "./http/automatic-persisted-queries.js";
import { useIdempotency } from "./http/idempotency-key.js";
import { useOperationLimits } from "./http/operation-limits.js";
import { useSafeRequestParsing } from "./http/safe-request-parsing.js";
import { useTrustedDocuments } from "./http/trusted-documents.js";
import { useVariableErrors } from "./http/variable-errors.js";
import { useUsageCsvRoute } from "./http/usage-csv-route.js";
import type { TaskWatchHub } from "./live/index.js";
import { countUpstreamCalls } from "./observability/counting-api.js";
import type { Logger } from "./observability/logger.js";
import type { GatewayMetrics } from "./observability/metrics.js";
import { AccessLog } from "./observability/access-log.js";
import { useGraphQLMetrics, useReadiness, useRequestId, type ReadyAnswer } from "./observability/plugins.js";
import type { RequestLogContext } from "./observability/request-log-context.js";
import { RequestTracker } from "./observability/request-tracker.js";
import { tracingActive } from "./observability/spans.js";
import { useTracing } from "./observability/tracing-plugin.js";
import { RecentTotals } from "./reading/recent-totals.js";
import type { DownloadUrlPolicy } from "./exports/download-policy.js";
import type { IdempotencyStore } from "./state/idempotency.js";
import { createMemoryPersistedQueryStore, type PersistedQueryStore } from "./state/persisted-queries.js";
import type { CdnExportApi } from "./upstream/types.js";

export const GRAPHQL_PATH = "/graphql";

export type GatewayContext = RequestContext & { requestId: string };
export type GatewayYoga = YogaServerInstance<Record<string, unknown>, GatewayContext>;

/** What the composition root (app.ts) hands the GraphQL side. */
export interface GatewayYogaOptions {
  config: GatewayConfig;
  schema: GraphQLSchema;
  /** What resolvers call (the page cache in front of the signed client). */
  api: CdnExportApi;
  logger: Logger;
  /** Each request runs in its own slot, named by the request-id plugin: log lines carry the id. */
  logContext?: RequestLogContext;
  metrics: GatewayMetrics;
  /** Who is calling; default built from `config.auth` (API keys, then JWT). */
  authenticator?: Authenticator;
  /** More yoga plugins, after the gateway's own. */
  plugins?: readonly Plugin[];
  idempotency?: IdempotencyRunner;
  /** Idempotency records (memory or Redis): each request gets a runner scoped to its principal. */
  idempotencyStore?: IdempotencyStore;
  /** Which DownloadUrls clients see; default https to Alibaba Cloud hosts only (context.ts). */
  downloadPolicy?: DownloadUrlPolicy;
  /** Automatic persisted queries' documents (Redis with REDIS_URL); default a bounded in-memory LRU. */
  persistedQueries?: PersistedQueryStore;
  /** Reading finished exports' files (`usage`, `sheets`, the CSV route); absent: not available. */
  exportFiles?: ExportFiles;
}

/** The same, plus what the listener (server.ts) owns. */
export interface GatewayYogaDeps extends GatewayYogaOptions {
  /** Wall clock, epoch ms (resolvers, GraphQL dates). */
  now: () => number;
  /** Monotonic ms for durations. */
  monotonic: () => number;
  taskWatch: TaskWatchHub;
  /** GET /ready: the listener knows whether it is draining. */
  ready: () => Promise<ReadyAnswer>;
}

/** A plugin as createYoga takes it (each plugin types the context it reads or adds). */
type YogaPlugin = NonNullable<YogaServerOptions<Record<string, unknown>, GatewayContext>["plugins"]>[number];

/** One plugin of the gateway, named, with why it sits where it does. */
export interface GatewayPlugin {
  name: string;
  why: string;
  plugin: YogaPlugin;
}

/**
 * The gateway's yoga plugins. yoga runs each phase (request, body parsing, params, parse and
 * validation, context, execution) through them in this order.
 */
export function gatewayPlugins(deps: GatewayYogaDeps, tracker: RequestTracker, contextOf = requestContextFactory(deps, tracker)): GatewayPlugin[] {
  const { config, logger, monotonic } = deps;
  const requestIdOf = (request: Request): string | undefined => tracker.get(request)?.requestId;
  const trusted = config.trustedDocuments;
  const store = deps.idempotencyStore;
  // One check per HTTP request, for GraphQL and the CSV route alike.
  const authenticate = requestAuthentication({
    authenticate: deps.authenticator ?? authenticatorFromConfig(config, logger),
    onFailure: ({ reason, request }) => logger.info({ reason, requestId: requestIdOf(request) }, "authentication refused"),
  });
  const plugins: Array<GatewayPlugin | null> = [
    {
      name: "graphql-js execution",
      why: "first: graphql-js's own execute and subscribe replace yoga's default executor (a fork for @defer/@stream, unused here); later plugins wrap them",
      plugin: useGraphQLJsExecution(),
    },
    {
      name: "readiness",
      why: "first: a probe is answered before any request bookkeeping (no id, no access line)",
      plugin: useReadiness(deps.ready),
    },
    {
      name: "request id",
      why: "before anything logs: every later line and the response carry the id",
      plugin: useRequestId({ tracker, now: monotonic, ...(deps.logContext ? { logContext: deps.logContext } : {}) }),
    },
    tracingActive() ? { name: "tracing", why: "only with an OTLP endpoint: the operation span, parent of resolvers, page reads and upstream calls", plugin: useTracing() } : null,
    { name: "error codes", why: "before the access log: every error gets its code (variables that do not coerce: BAD_USER_INPUT)", plugin: useVariableErrors() },
    { name: "access log", why: "sees every request, the refused ones too", plugin: new AccessLog({ logger, tracker, now: monotonic }).plugin() },
    { name: "metrics", why: "counts every request, the refused ones too", plugin: useGraphQLMetrics(deps.metrics.registry) },
    { name: "CSRF prevention", why: "a cross-site form is refused before its body is read", plugin: useCsrfPrevention() },
    { name: "body limit", why: "413 before an oversized body is parsed", plugin: useRequestBodyLimit(config.limits.maxBodyBytes) },
    { name: "safe parsing", why: "wraps the (limited) parser: a malformed body gets a 400 repeating nothing", plugin: useSafeRequestParsing() },
    { name: "authentication", why: "401 before the operation is parsed or validated (at params)", plugin: useAuthentication(authenticate) },
    {
      name: "usage CSV route",
      why: "GET /exports/usage-detail/<id>.csv: after request id, access log, metrics and CORS; the same authentication and scope as tasks",
      plugin: useUsageCsvRoute({
        authenticate,
        contextFor: (request, principal) => ({ ...contextOf({ request }), principal }),
        onUnexpectedError: (error) => logger.error({ err: error }, "CSV export failed unexpectedly"),
      }),
    },
    trusted === null
      ? null
      : {
          name: "trusted documents",
          why: "after authentication (401 first); before anything parses the client's text",
          plugin: useTrustedDocuments({
            documents: trusted.documents,
            onRefused: ({ reason, request }) => logger.info({ reason, requestId: requestIdOf(request) }, "operation refused: not a trusted document"),
          }),
        },
    trusted !== null
      ? null
      : {
          name: "automatic persisted queries",
          why: "after authentication (a refused caller reads and registers nothing); off in trusted-documents mode",
          plugin: useAutomaticPersistedQueries({
            store: deps.persistedQueries ?? createMemoryPersistedQueryStore(),
            onStoreError: (error, phase) => logger.warn({ err: error, phase }, "persisted query store failed"),
          }),
        },
    {
      name: "operation limits",
      why: "aliases, depth, tokens, directives, cost: refused at parse and validation, before any resolver or upstream call",
      plugin: useOperationLimits({ limits: config.limits, introspection: config.introspection, hideSuggestions: config.nodeEnv === "production" }),
    },
    store === undefined
      ? null
      : {
          name: "idempotency",
          why: "after authentication: keys are scoped to the principal it established",
          plugin: useIdempotency({ store, onStoreError: (error, phase) => logger.warn({ err: error, phase }, "idempotency store failed") }),
        },
    ...(deps.plugins ?? []).map((plugin, i) => ({ name: `extra ${i + 1}`, why: "given by the caller", plugin })),
  ];
  return plugins.filter((entry) => entry !== null);
}

export function createGatewayYoga(deps: GatewayYogaDeps): GatewayYoga {
  return buildYoga(deps, new RequestTracker());
}

/** The GraphQL side with both its transports: yoga over HTTP (and SSE), and graphql-ws. */
export interface GatewayGraphQL {
  yoga: GatewayYoga;
  /** graphql-ws on the same path: the listener hands it its upgrades. */
  websocket: GraphQLWsServer;
}

export function createGatewayGraphQL(deps: GatewayYogaDeps): GatewayGraphQL {
  const { config, logger } = deps;
  const tracker = new RequestTracker();
  // One authenticator for both transports (one JWKS cache).
  const authenticator = deps.authenticator ?? authenticatorFromConfig(config, logger);
  const yoga = buildYoga({ ...deps, authenticator }, tracker);
  const websocket = createGraphQLWsServer({
    path: GRAPHQL_PATH,
    getEnveloped: (initialContext) => yoga.getEnveloped(initialContext),
    authenticate: authenticator,
    accessLog: new AccessLog({ logger, tracker, now: deps.monotonic }),
    trustedDocuments: config.trustedDocuments?.documents ?? null,
    maxPayloadBytes: config.limits.maxBodyBytes,
    allowedOrigins: config.corsOrigins,
    onAuthFailure: (reason) => logger.info({ reason, transport: "graphql-ws" }, "authentication refused"),
    onTrustedRefused: (reason) => logger.info({ reason, transport: "graphql-ws" }, "operation refused: not a trusted document"),
    // Mostly clients breaking the protocol (a message over MAX_BODY_BYTES closes with 1009).
    onSocketError: (error) => logger.info({ err: error, transport: "graphql-ws" }, "WebSocket connection failed"),
  });
  return { yoga, websocket };
}

function buildYoga(deps: GatewayYogaDeps, tracker: RequestTracker): GatewayYoga {
  const context = requestContextFactory(deps, tracker);
  return createYoga<Record<string, unknown>, GatewayContext>({
    schema: deps.schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    logging: yogaLogger(deps.logger),
    // Unexpected errors become INTERNAL_SERVER_ERROR "Unexpected error." with no detail, even
    // with NODE_ENV=development; GraphQLErrors with codes pass through unchanged.
    maskedErrors: { isDev: false },
    // The body-limit plugin enforces MAX_BODY_BYTES (413 with or without Content-Length).
    maxRequestBodySize: false,
    graphiql: graphiqlOptions(deps.config),
    renderGraphiQL: bundledGraphiQL(),
    cors: corsOptions(deps.config.corsOrigins),
    context,
    plugins: gatewayPlugins(deps, tracker, context).map((entry) => entry.plugin),
  });
}

/** Each request's context; its upstream calls are counted for the access log. */
function requestContextFactory(deps: GatewayYogaDeps, tracker: RequestTracker): (initial: { request: Request }) => GatewayContext {
  // Totals earlier requests read: entity scans plan their first wave with them (entity-scan.ts).
  const recentTotals = new RecentTotals();
  return ({ request }) => {
    const tracked = tracker.get(request);
    const api =
      tracked === undefined
        ? deps.api
        : countUpstreamCalls(deps.api, () => {
            tracked.upstreamCalls++;
          });
    // The authentication plugin replaces this with the checked caller.
    const principal: Principal = null;
    return {
      ...createRequestContext({
        api,
        now: deps.now,
        principal,
        idempotencyKey: request.headers.get("idempotency-key"),
        ...(deps.idempotency === undefined ? {} : { idempotency: deps.idempotency }),
        ...(deps.downloadPolicy === undefined ? {} : { downloadPolicy: deps.downloadPolicy }),
        ...(deps.exportFiles === undefined ? {} : { exportFiles: deps.exportFiles }),
        signal: request.signal,
        taskWatch: deps.taskWatch,
        recentTotals,
      }),
      requestId: tracked?.requestId ?? "unknown",
    };
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

/** `"*"`: any origin (emulator demo); a list: those origins; `[]`: no CORS headers (same origin). */
function corsOptions(origins: "*" | string[]): false | { origin: string | string[]; credentials: boolean; methods: string[]; exposedHeaders: string[]; maxAge: number } {
  const common = { methods: ["GET", "POST", "OPTIONS"], exposedHeaders: ["x-request-id"], maxAge: 600 };
  if (origins === "*") return { origin: "*", credentials: false, ...common };
  if (origins.length === 0) return false;
  return { origin: origins, credentials: true, ...common };
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
