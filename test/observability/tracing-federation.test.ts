/**
 * One trace from the federation router down to the signed calls: the gateway (startApp, traced
 * by its own SDK set-up, an in-memory exporter) as the `exports` subgraph beside a `reports`
 * subgraph, both behind @apollo/gateway in process. The router side does what a router does: its
 * request span, @apollo/gateway's own spans (`gateway.request`, `gateway.fetch`, …) and a
 * `traceparent` on every subgraph fetch. The whole query is then one trace: router request →
 * subgraph fetch → this gateway's SERVER span → operation → page reads → `cdn <Action>`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { composeServices } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import type { GatewayExecutor } from "@apollo/server-gateway-interface";
import { buildSubgraphSchema, printSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { createYoga } from "graphql-yoga";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { RunningEmulator } from "../../src/emulator/types.js";
import { schema } from "../../src/schema/index.js";
import { gatewayRequestContext, quietLogger } from "../helpers/gateway-request.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";
import { childrenOf, KIND, named, spanTree, startMemoryTracing, type MemoryTracing, type SpanRecord } from "../helpers/tracing.js";

const REPORTS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
  enum ExportKind { USAGE_DETAIL USER_USAGE }
  type Report @key(fields: "id") { id: ID! title: String! exportTask: ExportTask }
  type ExportTask @key(fields: "kind taskId") { kind: ExportKind! taskId: String! }
  type Query { reports: [Report!]! }
`;


let mem: MemoryTracing;
let emulator: RunningEmulator;
let h: ServerHarness;
let reportsServer: Server;
let gateway: ApolloGateway;
let executor: GatewayExecutor;

beforeAll(async () => {
  mem = await startMemoryTracing();
  emulator = await startEmulator({ port: 0, historySize: { USAGE_DETAIL: 60, USER_USAGE: 5 }, quotaPerSecond: 100_000 });
  h = await startServerHarness({
    env: { ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.accessKeySecret, CDN_ENDPOINT: emulator.url, GATEWAY_AUTH: "off", CDN_CACHE_TTL_MS: "0" },
  });
  const listed = await postGraphQL(h.url, "{ tasks(first: 2) { edges { node { taskId } } } }");
  const [first, second] = (listed.body.data as { tasks: { edges: Array<{ node: { taskId: string } }> } }).tasks.edges.map((edge) => edge.node.taskId);
  const reports = [
    { id: "r1", title: "January traffic", exportTask: { kind: "USAGE_DETAIL", taskId: first } },
    { id: "r2", title: "February traffic", exportTask: { kind: "USAGE_DETAIL", taskId: second } },
  ];
  const reportsSchema = buildSubgraphSchema({ typeDefs: parse(REPORTS_SDL), resolvers: { Query: { reports: () => reports } } });
  const reportsYoga = createYoga({ schema: reportsSchema, logging: false, graphiql: false });
  reportsServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    Promise.resolve(reportsYoga(req, res)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => reportsServer.listen(0, "127.0.0.1", resolve));
  const reportsUrl = `http://127.0.0.1:${(reportsServer.address() as AddressInfo).port}/graphql`;

  const composed = composeServices([
    { name: "exports", typeDefs: parse(printSubgraphSchema(schema)), url: h.url },
    { name: "reports", typeDefs: parse(printSubgraphSchema(reportsSchema)), url: reportsUrl },
  ]);
  if (composed.supergraphSdl === undefined) throw new Error(`composition failed: ${JSON.stringify(composed.errors)}`);
  gateway = new ApolloGateway({
    supergraphSdl: composed.supergraphSdl,
    logger: quietLogger,
    // What a router does on every subgraph call: pass its trace on in `traceparent`.
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request }) {
          const headers = request.http?.headers;
          if (headers !== undefined) propagation.inject(context.active(), headers, { set: (carrier, key, value) => carrier.set(key, value) });
        },
      }),
  });
  const loaded = await gateway.load();
  if (!loaded.executor) throw new Error("gateway has no executor");
  executor = loaded.executor;
});

afterAll(async () => {
  await gateway?.stop();
  await new Promise<void>((resolve) => {
    if (reportsServer === undefined) resolve();
    else {
      reportsServer.close(() => resolve());
      reportsServer.closeAllConnections();
    }
  });
  await h?.close();
  await emulator?.close();
  await mem?.shutdown();
});

/** The router's request: its own SERVER span around what Apollo Server hands @apollo/gateway. */
function routerRequest(query: string): Promise<unknown> {
  const requestContext = gatewayRequestContext(gateway.schema!, query);
  return trace.getTracer("router").startActiveSpan("router POST /graphql", { kind: SpanKind.SERVER }, async (span) => {
    try {
      return await executor(requestContext);
    } finally {
      span.end();
    }
  });
}

function ancestors(spans: readonly SpanRecord[], span: SpanRecord): string[] {
  const names: string[] = [];
  let parent = spans.find((candidate) => candidate.spanId === span.parentSpanId);
  while (parent !== undefined) {
    names.push(parent.name);
    const id = parent.parentSpanId;
    parent = spans.find((candidate) => candidate.spanId === id);
  }
  return names;
}

it("a federated query is one trace from the router's request to each signed upstream call", async () => {
  mem.reset();
  const result = (await routerRequest("query ReportsWithTasks { reports { title exportTask { taskId status } } }")) as { errors?: unknown; data?: { reports: Array<{ exportTask: { status: string } | null }> } };
  expect(result.errors).toBeUndefined();
  expect(result.data?.reports.every((report) => report.exportTask !== null)).toBe(true);

  const spans = await mem.waitFor((all) => named(all, "POST /graphql").length === 2 && named(all, "router POST /graphql").length === 1);
  const router = named(spans, "router POST /graphql")[0]!;
  const tree = spanTree(spans, ["graphql.operation.name", "cdn.cache", "cdn.attempt", "http.response.status_code"]);
  console.log(`federated trace:\n${tree}`);

  expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([router.traceId]));
  expect(router.parentSpanId).toBeNull();
  const calls = spans.filter((span) => span.name.startsWith("cdn ") && span.kind === KIND.CLIENT);
  expect(calls.length).toBeGreaterThan(0);
  for (const call of calls) {
    const path = ancestors(spans, call);
    // cdn <Action> ← cdn.page_read ← this gateway's operation ← its SERVER span ← the router's fetch ← … ← the router's request
    expect(path[0]).toBe("cdn.page_read");
    expect(path[1]).toMatch(/^query/);
    expect(path[2]).toBe("POST /graphql");
    expect(path).toContain("gateway.fetch");
    expect(path.at(-1)).toBe("router POST /graphql");
  }
  // Both subgraphs' SERVER spans hang under the router's fetches.
  for (const server of named(spans, "POST /graphql")) {
    expect(spans.find((span) => span.spanId === server.parentSpanId)?.name).toBe("gateway.fetch");
  }
  const ours = named(spans, "POST /graphql").find((server) => childrenOf(spans, server).length > 0)!;
  expect(childrenOf(spans, ours).map((span) => span.attributes["graphql.operation.type"])).toEqual(["query"]);
});
