/**
 * This gateway as an Apollo Federation v2 subgraph: composed with a small `reports` subgraph
 * that references ExportTask by `kind taskId` (and extends it), both served over loopback HTTP
 * by graphql-yoga, and queried through @apollo/gateway in-process.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { parse } from "graphql";
import { createYoga } from "graphql-yoga";
import { buildSubgraphSchema, printSubgraphSchema } from "@apollo/subgraph";
import { composeServices } from "@apollo/composition";
import { ApolloGateway } from "@apollo/gateway";
import type { GatewayExecutor } from "@apollo/server-gateway-interface";
import { schema } from "../../src/schema/index.js";
import { anonymousPrincipal } from "../../src/auth/principal.js";
import { createRequestContext, type RequestContext } from "../../src/context.js";
import { startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";
import { gatewayRequestContext, quietLogger } from "../helpers/gateway-request.js";

interface Report {
  id: string;
  title: string;
  task: { kind: string; taskId: string };
}

const REPORTS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
  enum ExportKind { USAGE_DETAIL USER_USAGE }
  type Report @key(fields: "id") {
    id: ID!
    title: String!
    exportTask: ExportTask
  }
  type ExportTask @key(fields: "kind taskId") {
    kind: ExportKind!
    taskId: String!
    reports: [Report!]!
  }
  type Query { reports: [Report!]! }
`;

/** node:http around a yoga handler (which answers through a promise). */
function serve(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | Response): Server {
  return createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch(() => res.destroy());
  });
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`)); // TCP: AddressInfo
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

let h: GatewayHarness;
let servers: Server[] = [];
let gateway: ApolloGateway;
let executor: GatewayExecutor;
let reports: Report[];
let taskIds: string[];

beforeAll(async () => {
  h = await startGatewayHarness({ emulator: { historySize: { USAGE_DETAIL: 120, USER_USAGE: 10 } } });
  const page1 = await h.client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 });
  const page2 = await h.client.describeTasks("USAGE_DETAIL", { pageNumber: 2, pageSize: 50 });
  taskIds = [page1.tasks[5]!.taskId, page2.tasks[10]!.taskId];
  reports = [
    { id: "r1", title: "January traffic", task: { kind: "USAGE_DETAIL", taskId: taskIds[0]! } },
    { id: "r2", title: "February traffic", task: { kind: "USAGE_DETAIL", taskId: taskIds[1]! } },
    { id: "r3", title: "Lost", task: { kind: "USAGE_DETAIL", taskId: "424242424242" } },
  ];

  // Our subgraph, served the way the product serves it: yoga on node:http.
  const ours = serve(
    createYoga<Record<string, unknown>, RequestContext>({
      schema,
      logging: false,
      graphiql: false,
      context: ({ request }) =>
        createRequestContext({ api: h.client, now: Date.now, principal: anonymousPrincipal({ name: "federation-test" }), signal: request.signal }),
    }),
  );
  // The test's own subgraph.
  const reportsSchema = buildSubgraphSchema({
    typeDefs: parse(REPORTS_SDL),
    resolvers: {
      Query: { reports: () => reports },
      Report: {
        exportTask: (report: Report) => report.task,
        __resolveReference: (ref: { id: string }) => reports.find((r) => r.id === ref.id) ?? null,
      },
      ExportTask: {
        reports: (task: { taskId: string }) => reports.filter((r) => r.task.taskId === task.taskId),
        __resolveReference: (ref: { kind: string; taskId: string }) => ref,
      },
    },
  });
  const theirs = serve(createYoga({ schema: reportsSchema, logging: false, graphiql: false }));
  servers = [ours, theirs];
  const [ourUrl, theirUrl] = await Promise.all([listen(ours), listen(theirs)]);

  const composed = composeServices([
    { name: "exports", typeDefs: parse(printSubgraphSchema(schema)), url: ourUrl },
    { name: "reports", typeDefs: parse(printSubgraphSchema(reportsSchema)), url: theirUrl },
  ]);
  expect(composed.errors ?? []).toEqual([]);
  if (composed.supergraphSdl === undefined) throw new Error("composition failed");
  gateway = new ApolloGateway({ supergraphSdl: composed.supergraphSdl, logger: quietLogger });
  const loaded = await gateway.load();
  if (!loaded.executor) throw new Error("gateway has no executor");
  executor = loaded.executor;
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all(servers.map(close));
  await h?.close();
});

beforeEach(() => {
  h.resetCalls();
});

/** One operation through the gateway, as Apollo Server would run it. */
async function run(query: string, variables: Record<string, unknown> = {}) {
  return executor(gatewayRequestContext(gateway.schema!, query, variables));
}

test("composes into a supergraph with ExportTask as an entity of both subgraphs", () => {
  const type = gateway.schema?.getType("ExportTask");
  expect(type).toBeDefined();
  expect(Object.keys((type as { getFields(): Record<string, unknown> }).getFields())).toEqual(
    expect.arrayContaining(["id", "kind", "taskId", "status", "reports"]),
  );
});

test("reports → export tasks: the gateway resolves references through our _entities in one scan", async () => {
  const result = await run(`{ reports { id title exportTask { kind taskId name status rawStatus createdAt } } }`);
  expect(result.errors).toBeUndefined();
  const data = result.data as { reports: { id: string; exportTask: { taskId: string; kind: string; status: string } | null }[] };
  expect(data.reports.map((r) => [r.id, r.exportTask?.taskId ?? null])).toEqual([
    ["r1", taskIds[0]],
    ["r2", taskIds[1]],
    ["r3", null],
  ]);
  expect(data.reports[0]!.exportTask?.kind).toBe("USAGE_DETAIL");
  expect(["CREATED", "SUCCESS", "FAILED", "UNKNOWN"]).toContain(data.reports[0]!.exportTask?.status);
  // One _entities batch: pages 1 and 2 hold the two known tasks, page 3 rules out the missing one.
  expect(h.pageReads("USAGE_DETAIL")).toBe(3);
});

test("export tasks → reports: our connection, extended by the other subgraph", async () => {
  const result = await run(`{ tasks(first: 10) { totalCount edges { node { taskId reports { id title } } } } }`);
  expect(result.errors).toBeUndefined();
  const data = result.data as { tasks: { totalCount: number; edges: { node: { taskId: string; reports: { id: string }[] } }[] } };
  expect(data.tasks.totalCount).toBe(120);
  expect(data.tasks.edges).toHaveLength(10);
  const withReport = data.tasks.edges.find((e) => e.node.taskId === taskIds[0]);
  expect(withReport?.node.reports).toEqual([{ id: "r1", title: "January traffic" }]);
  expect(h.pageReads("USAGE_DETAIL")).toBe(1);
});
