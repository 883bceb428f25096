/**
 * The schema wired to real parts for tests: the emulator on 127.0.0.1 (port 0), the signed
 * client pointed at it, and graphql-yoga driven in-process through `yoga.fetch`. Upstream call
 * counts come from the emulator's own stats, so "minimal reads" are asserted on what it served.
 */
import type { GraphQLFormattedError } from "graphql";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import { anonymousPrincipal, type Principal } from "../../src/auth/principal.js";
import { createRequestContext, type IdempotencyRunner, type RequestContext } from "../../src/context.js";
import { startEmulator } from "../../src/emulator/index.js";
import type { EmulatorOptions, RunningEmulator } from "../../src/emulator/types.js";
import { schema } from "../../src/schema/index.js";
import { createCdnClient, Credentials, type CdnClient, type CdnClientOptions } from "../../src/upstream/index.js";
import { ACTIONS, type CdnExportApi, type ExportKind } from "../../src/upstream/types.js";
import { downloadUrlPolicy, type DownloadUrlPolicy } from "../../src/exports/download-policy.js";

export interface GatewayHarnessOptions {
  /** Emulator options; the harness defaults to a quota high enough that tests never hit it. */
  emulator?: EmulatorOptions;
  /** Client options beyond endpoint/credentials (default: one attempt, so counts are exact). */
  client?: Partial<Omit<CdnClientOptions, "endpoint" | "credentials">>;
  /** The AccessKey pair the client signs with; default the emulator's own. */
  credentials?: { accessKeyId: string; accessKeySecret: string };
  /** The gateway's clock (resolvers' one-year rule); default Date.now. */
  now?: () => number;
  /** Principal of every request unless `execute` says otherwise; default all scopes. */
  principal?: Principal;
  /** Wraps the client before resolvers see it (e.g. a cache under test). */
  wrapApi?: (client: CdnExportApi) => CdnExportApi;
  idempotency?: IdempotencyRunner;
  /** Default: the emulator's origin plus the Alibaba hosts, as the app's emulator mode. */
  downloadPolicy?: (emulator: RunningEmulator) => DownloadUrlPolicy;
  /** Bound on pages one scan (entity lookup, filtered walk) reads; default the gateway's. */
  maxScanPages?: number;
}

export interface ExecuteOptions {
  variables?: Record<string, unknown>;
  principal?: Principal;
  headers?: Record<string, string>;
}

export interface GraphQLResponse<TData> {
  status: number;
  data?: TData | null;
  errors?: readonly GraphQLFormattedError[];
}

export interface GatewayHarness {
  emulator: RunningEmulator;
  client: CdnClient;
  yoga: YogaServerInstance<Record<string, unknown>, RequestContext>;
  /** POSTs one operation to /graphql through yoga.fetch. */
  execute<TData = Record<string, unknown>>(query: string, options?: ExecuteOptions): Promise<GraphQLResponse<TData>>;
  /** Upstream calls the emulator served since the last reset, per action. */
  calls(): Record<string, number>;
  /** Describe (page read) calls of one kind since the last reset. */
  pageReads(kind?: ExportKind): number;
  /** All upstream calls since the last reset. */
  totalCalls(): number;
  resetCalls(): void;
  close(): Promise<void>;
}

const PRINCIPAL_HEADER = "x-test-principal";

export async function startGatewayHarness(options: GatewayHarnessOptions = {}): Promise<GatewayHarness> {
  const emulator = await startEmulator({ port: 0, quotaPerSecond: 100_000, ...options.emulator });
  const client = createCdnClient({
    endpoint: emulator.url,
    credentials: new Credentials(options.credentials ?? { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret }),
    maxAttempts: 1,
    ...options.client,
  });
  const api = options.wrapApi ? options.wrapApi(client) : client;
  const now = options.now ?? Date.now;
  const defaultPrincipal = options.principal === undefined ? anonymousPrincipal({ name: "test" }) : options.principal;
  // Per-request principals travel from `execute` to the context factory through this map.
  const principals = new Map<string, Principal>();
  const downloadPolicy = options.downloadPolicy ? options.downloadPolicy(emulator) : downloadUrlPolicy({ origins: [emulator.url] });
  let nextPrincipal = 0;

  const yoga = createYoga<Record<string, unknown>, RequestContext>({
    schema,
    logging: false,
    graphiql: false,
    maskedErrors: { isDev: false },
    context: ({ request }) => {
      const ticket = request.headers.get(PRINCIPAL_HEADER);
      const principal = ticket !== null && principals.has(ticket) ? (principals.get(ticket) ?? null) : defaultPrincipal;
      return createRequestContext({
        api,
        now,
        principal,
        idempotencyKey: request.headers.get("idempotency-key"),
        signal: request.signal,
        downloadPolicy,
        ...(options.idempotency ? { idempotency: options.idempotency } : {}),
        ...(options.maxScanPages === undefined ? {} : { maxScanPages: options.maxScanPages }),
      });
    },
  });

  async function execute<TData>(query: string, opts: ExecuteOptions = {}): Promise<GraphQLResponse<TData>> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json", ...opts.headers };
    let ticket: string | null = null;
    if (opts.principal !== undefined) {
      ticket = String(nextPrincipal++);
      principals.set(ticket, opts.principal);
      headers[PRINCIPAL_HEADER] = ticket;
    }
    try {
      const response = await yoga.fetch("http://gateway.test/graphql", {
        method: "POST",
        headers,
        body: JSON.stringify({ query, variables: opts.variables ?? {} }),
      });
      // yoga answers the GraphQL-over-HTTP JSON shape
      const body = (await response.json()) as Omit<GraphQLResponse<TData>, "status">;
      return { status: response.status, ...body };
    } finally {
      if (ticket !== null) principals.delete(ticket);
    }
  }

  const calls = (): Record<string, number> => ({ ...emulator.stats().calls });

  return {
    emulator,
    client,
    yoga,
    execute,
    calls,
    pageReads: (kind) => {
      const counts = calls();
      const kinds: readonly ExportKind[] = kind ? [kind] : ["USAGE_DETAIL", "USER_USAGE"];
      return kinds.reduce((sum, k) => sum + (counts[ACTIONS[k].describe] ?? 0), 0);
    },
    totalCalls: () => emulator.stats().total,
    resetCalls: () => emulator.resetStats(),
    close: async () => {
      await yoga.dispose();
      await client.close();
      await emulator.close();
    },
  };
}

/** Every error's `extensions.code`, for compact assertions. */
export function errorCodes(response: GraphQLResponse<unknown>): unknown[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}
