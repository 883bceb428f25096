/**
 * GraphQL over WebSocket (the `graphql-transport-ws` protocol of the `graphql-ws` package) on
 * the GraphQL path, beside SSE. Every operation runs through the same yoga instance as HTTP
 * (`getEnveloped`), so it meets the same rules:
 *
 * - authentication: `connectionParams.Authorization` (`Bearer <API key or JWT>`), checked when
 *   the connection opens (refused: close 4403 with the reason) and again, by the authentication
 *   plugin, for every operation; scopes are the schema's, as over HTTP;
 * - operation limits (tokens at parse, depth, aliases, directives and cost at validation) and,
 *   in trusted-documents mode, only the manifest's documents, sent by id;
 * - the shared task watches (`exportTaskUpdated` is the same resolver on the same hub);
 * - one access-log line per operation (`method: "GET"`, `status: 101`: the upgrade that
 *   carries it), written when its stream ends;
 * - a message is at most MAX_BODY_BYTES (larger: close 1009), and a browser page may only
 *   connect from an origin the CORS policy admits (WebSocket handshakes skip CORS: without
 *   this check any site could drive the gateway from a visitor's browser).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLSchema, execute, parse, subscribe, validate } from "graphql";
import { GraphQLError } from "graphql";
import type { GraphQLParams } from "graphql-yoga";
import { CloseCode, type SubscribePayload } from "graphql-ws";
import { WebSocketServer } from "ws";
import type { AuthFailureReason, Authenticator } from "../auth/authenticate.js";
import type { AccessLog } from "../observability/access-log.js";
import type { ResponseFacts } from "../observability/request-tracker.js";
import { bindGraphQLWs } from "./graphql-ws-socket.js";
import { trustedDocumentFor, trustedDocumentRefusal, type TrustedDocumentRefusal } from "./trusted-documents.js";

/** What yoga's `getEnveloped` gives for one operation: its own parse, validate, context and run. */
export interface EnvelopedGraphQL {
  schema: GraphQLSchema;
  parse: typeof parse;
  validate: typeof validate;
  execute: typeof execute;
  subscribe: typeof subscribe;
  contextFactory: () => unknown;
}

export type GetEnveloped = (initialContext: { request: Request; params: GraphQLParams }) => EnvelopedGraphQL;

export interface GraphQLWsOptions {
  /** The GraphQL path (`/graphql`): upgrades elsewhere are refused. */
  path: string;
  getEnveloped: GetEnveloped;
  authenticate: Authenticator;
  accessLog: AccessLog;
  /** Trusted-documents mode: the manifest (id → document); null runs any operation. */
  trustedDocuments: ReadonlyMap<string, string> | null;
  /** MAX_BODY_BYTES: the largest message accepted. */
  maxPayloadBytes: number;
  /** The CORS policy's origins: which browser pages may connect (`[]`: same origin only). */
  allowedOrigins: "*" | readonly string[];
  onAuthFailure?: (reason: AuthFailureReason) => void;
  onTrustedRefused?: (reason: TrustedDocumentRefusal) => void;
  /** A connection failed (an oversized message, a protocol error). */
  onSocketError?: (error: unknown) => void;
}

export interface GraphQLWsServer {
  /** The listener's `upgrade` event. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every connection (1001 Going away); its streams end and are logged. */
  close(): Promise<void>;
}

/** What the access line says about an operation carried by the WebSocket. */
const WS_RESPONSE = { method: "GET", status: 101 } as const;
// Operations get a request of their own (the auth plugin, the tracker and the context read it).
const OPERATION_URL_BASE = "http://graphql-ws.invalid";

/** What the client put in `connection_init` (`Authorization`, or `authorization`). */
type ConnectionParams = Record<string, unknown>;

export function createGraphQLWsServer(options: GraphQLWsOptions): GraphQLWsServer {
  const { accessLog } = options;
  const facts: ResponseFacts = { ...WS_RESPONSE, path: options.path };
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  // Each running operation's envelop, found again by its context when graphql-ws runs it.
  const running = new WeakMap<object, EnvelopedGraphQL>();

  const authorizationOf = (params: ConnectionParams | undefined, upgrade: IncomingMessage): string | undefined => {
    const fromParams = params?.["Authorization"] ?? params?.["authorization"];
    if (typeof fromParams === "string") return fromParams;
    // Non-browser clients may set the header on the handshake instead.
    return upgrade.headers.authorization;
  };

  // Each connection's running operations, to abort their upstream reads when they end.
  const aborts = new WeakMap<object, Map<string, AbortController>>();
  const abortOperation = (ctx: object, id: string): void => {
    aborts.get(ctx)?.get(id)?.abort();
    aborts.get(ctx)?.delete(id);
  };

  const server = bindGraphQLWs<ConnectionParams>(
    {
      onConnect: async (ctx) => {
        const authorization = authorizationOf(ctx.connectionParams, ctx.extra.request);
        const result = await options.authenticate(authorization === undefined ? {} : { authorization });
        if (result.ok) return true;
        options.onAuthFailure?.(result.reason);
        ctx.extra.socket.close(CloseCode.Forbidden, result.error.message);
        return false;
      },
      onSubscribe: async (ctx, id, payload: SubscribePayload) => {
        const authorization = authorizationOf(ctx.connectionParams, ctx.extra.request);
        const abort = new AbortController();
        const operations = aborts.get(ctx) ?? new Map<string, AbortController>();
        aborts.set(ctx, operations.set(id, abort));
        const request = new Request(`${OPERATION_URL_BASE}${options.path}`, {
          method: "POST",
          headers: authorization === undefined ? {} : { authorization },
          signal: abort.signal,
        });
        accessLog.beginOperation(request, randomUUID(), payload.operationName ?? null);
        const refuse = (errors: readonly GraphQLError[]): readonly GraphQLError[] => {
          accessLog.recordErrors(request, errors);
          accessLog.responded(request, facts);
          return errors;
        };

        // The message as yoga's params (`documentId`, when sent, rides along for trusted documents).
        const params: GraphQLParams = Object.assign({}, payload, {
          operationName: payload.operationName ?? undefined,
          variables: payload.variables ?? undefined,
          extensions: payload.extensions ?? undefined,
        });
        if (options.trustedDocuments !== null) {
          const trusted = trustedDocumentFor(options.trustedDocuments, params, request);
          if ("refusal" in trusted) {
            options.onTrustedRefused?.(trusted.refusal);
            return refuse([trustedDocumentRefusal(trusted.refusal)]);
          }
          params.query = trusted.query;
        }
        const env = options.getEnveloped({ request, params });
        let document: DocumentNode;
        try {
          document = env.parse(params.query ?? "");
        } catch (error) {
          return refuse([asGraphQLError(error)]);
        }
        const invalid = env.validate(env.schema, document);
        if (invalid.length > 0) return refuse(invalid);
        let contextValue: object;
        try {
          // The authentication plugin checks the operation's credentials here (a JWT may have expired).
          contextValue = (await env.contextFactory()) as object;
        } catch (error) {
          return refuse([asGraphQLError(error)]);
        }
        running.set(contextValue, env);
        return {
          schema: env.schema,
          document,
          contextValue,
          ...(payload.operationName == null ? {} : { operationName: payload.operationName }),
          ...(payload.variables == null ? {} : { variableValues: payload.variables }),
        } satisfies ExecutionArgs;
      },
      execute: (args) => envOf(args).execute(args),
      subscribe: (args) => envOf(args).subscribe(args),
      onOperation: (_ctx, _id, _payload, args, result) => {
        const request = requestOf(args);
        if (request === undefined) return;
        // A single result (a query, or a subscription refused before streaming): its codes now.
        if (isSingleResult(result)) accessLog.recordErrors(request, result.errors ?? []);
        accessLog.responded(request, facts);
      },
      onComplete: (ctx, id) => abortOperation(ctx, id),
      onError: (ctx, id) => abortOperation(ctx, id),
      onClose: (ctx) => {
        for (const abort of aborts.get(ctx)?.values() ?? []) abort.abort();
        aborts.delete(ctx);
      },
    },
    wss,
    { onSocketError: (error) => options.onSocketError?.(error) },
  );

  function envOf(args: ExecutionArgs): EnvelopedGraphQL {
    const env = typeof args.contextValue === "object" && args.contextValue !== null ? running.get(args.contextValue) : undefined;
    if (env === undefined) throw new Error("graphql-ws: operation without its envelop");
    return env;
  }

  function allowedOrigin(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    // No Origin: not a browser page (browsers always send one on a WebSocket handshake).
    if (origin === undefined) return true;
    if (options.allowedOrigins === "*" || options.allowedOrigins.includes(origin)) return true;
    try {
      return new URL(origin).host === request.headers.host;
    } catch {
      return false;
    }
  }

  return {
    handleUpgrade(request, socket, head) {
      const path = (request.url ?? "/").split("?")[0];
      if (path !== options.path) return refuseUpgrade(socket, 404, "Not Found");
      if (!allowedOrigin(request)) return refuseUpgrade(socket, 403, "Forbidden");
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
    },
    async close() {
      await server.dispose();
    },
  };
}

function isSingleResult(result: unknown): result is ExecutionResult {
  return typeof result === "object" && result !== null && !(Symbol.asyncIterator in result) && !("then" in result);
}

function requestOf(args: ExecutionArgs): Request | undefined {
  const request = (args.contextValue as { request?: unknown } | null)?.request;
  return request instanceof Request ? request : undefined;
}

/** A refusal to answer; anything else is unexpected and closes the connection (4500). */
function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  throw error;
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
