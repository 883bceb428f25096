/**
 * The operations the bench sends, and a small keep-alive client for the runner's own one-off
 * queries (wall-time measurements, freshness probes). Cursors come from the gateway's own
 * encoder, so "start at offset N" means exactly what a client paging through would send.
 */
import { Pool } from "undici";
import { encodeCursor } from "../../src/reading/cursors.js";
import { BENCH_API_KEY } from "./gateway.js";
import { lastFullDay } from "./time-range.js";

export const AUTH_HEADERS: Readonly<Record<string, string>> = { authorization: `Bearer ${BENCH_API_KEY}` };

/** What a dashboard shows of a task. */
// downloadUrl included: the bench's gateways allow the separate emulator's origin through
// CDN_DOWNLOAD_ORIGINS (bench/lib/gateway.ts), as a deployment allows Alibaba's hosts.
const TASK_FIELDS = "id kind taskId name status rawStatus createdAt updatedAt startTime endTime downloadUrl";

export const TASKS_QUERY = `query Tasks($first: Int!, $after: String) {
  tasks(first: $first, after: $after) {
    totalCount
    edges { cursor node { ${TASK_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const ENTITIES_QUERY = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on ExportTask { ${TASK_FIELDS} } }
}`;

export const TASK_QUERY = `query Task($taskId: String!) { task(taskId: $taskId) { ${TASK_FIELDS} } }`;

export const NODE_QUERY = `query Node($id: ID!) { node(id: $id) { ... on ExportTask { ${TASK_FIELDS} } } }`;

export const CREATE_MUTATION = `mutation Create($input: CreateUsageExportInput!) {
  createUsageExport(input: $input) { taskId task { ${TASK_FIELDS} } }
}`;

export function body(query: string, variables: Record<string, unknown> = {}): string {
  return JSON.stringify({ query, variables });
}

/** `tasks(first: n)` starting at absolute offset `offset` (0 = the newest task). */
export function tasksBody(first: number, offset = 0): string {
  return body(TASKS_QUERY, offset === 0 ? { first } : { first, after: encodeCursor(offset - 1) });
}

/** `tasks(first: n)` reading exactly page `page` (PageSize 50) when n <= 50. */
export function pageBody(first: number, page: number): string {
  return tasksBody(first, (page - 1) * 50);
}

export function entitiesBody(taskIds: readonly string[]): string {
  return body(ENTITIES_QUERY, { representations: taskIds.map((taskId) => ({ __typename: "ExportTask", kind: "USAGE_DETAIL", taskId })) });
}

/** A one-day flow export ending at the last full hour (valid for the upstream's rules). */
export function createBody(name: string, now = Date.now()): string {
  return body(CREATE_MUTATION, { input: { type: "FLOW", ...lastFullDay(now), taskName: name } });
}

export interface GraphQLAnswer {
  status: number;
  json: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
  /** Wall time of the exchange, ms: request sent → last byte of the answer received (its JSON parse not counted). */
  ms: number;
}

export class GraphQLClient {
  readonly #pool: Pool;
  readonly #path: string;

  constructor(graphqlUrl: string) {
    const url = new URL(graphqlUrl);
    this.#pool = new Pool(url.origin, { connections: 8 });
    this.#path = url.pathname;
  }

  async post(payload: string): Promise<GraphQLAnswer> {
    const startedAt = performance.now();
    const response = await this.#pool.request({
      path: this.#path,
      method: "POST",
      headers: { "content-type": "application/json", ...AUTH_HEADERS },
      body: payload,
    });
    // Latency ends with the answer's last byte; the bench's own JSON.parse is not the gateway's time.
    const text = await response.body.text();
    const ms = performance.now() - startedAt;
    const json = JSON.parse(text) as GraphQLAnswer["json"]; // the GraphQL-over-HTTP answer shape
    return { status: response.statusCode, json, ms };
  }

  /** Like post, but throws on HTTP or GraphQL errors (setup steps that must work). */
  async data(payload: string): Promise<Record<string, unknown>> {
    const answer = await this.post(payload);
    if (answer.status !== 200 || answer.json.errors !== undefined || !answer.json.data) {
      throw new Error(`gateway answered ${answer.status}: ${JSON.stringify(answer.json.errors ?? answer.json).slice(0, 300)}`);
    }
    return answer.json.data;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** Task ids in a `tasks` answer, in order. */
export function taskIdsOf(data: Record<string, unknown>): string[] {
  const tasks = data.tasks as { edges: { node: { taskId: string } }[] } | undefined; // TASKS_QUERY's shape
  return tasks?.edges.map((edge) => edge.node.taskId) ?? [];
}
