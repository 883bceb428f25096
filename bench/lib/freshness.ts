/**
 * Freshness probes run by the hot-list case while the load is on:
 * - upstream-side: a task is created directly at the emulator (as another tool or replica
 *   would); the gateway is then polled until its list shows it. Every answer that still lacks
 *   it is stale; its age is (when that query started) − (when the create was acknowledged).
 * - gateway-side: a task created through this gateway's mutation must be in the very next query.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createCdnClient, Credentials, type CdnClient } from "../../src/upstream/index.js";
import type { EmulatorEndpoint } from "./emulator-protocol.js";
import { createBody, tasksBody, taskIdsOf, type GraphQLClient } from "./graphql.js";
import { lastFullDay } from "./time-range.js";

export interface FreshnessReport {
  upstreamCreates: number;
  /** Oldest stale answer seen, ms after the create was acknowledged (0: none was stale). */
  maxStaleAgeMs: number;
  /** Longest time from an upstream create to the first answer showing it. */
  maxVisibleAfterMs: number;
  gatewayCreates: number;
  /** Gateway creates missing from the query right after them. */
  gatewayCreatesNotVisible: number;
  /** Probe queries sent (they count as gateway queries too). */
  queries: number;
}

const POLL_MS = 20;
const GIVE_UP_MS = 5000;
const LIST = tasksBody(20);

export class FreshnessProbe {
  readonly #client: CdnClient;
  readonly #report: FreshnessReport = {
    upstreamCreates: 0,
    maxStaleAgeMs: 0,
    maxVisibleAfterMs: 0,
    gatewayCreates: 0,
    gatewayCreatesNotVisible: 0,
    queries: 0,
  };

  constructor(
    upstream: EmulatorEndpoint,
    private readonly graphql: GraphQLClient,
  ) {
    this.#client = createCdnClient({
      endpoint: upstream.url,
      credentials: new Credentials({ accessKeyId: upstream.accessKeyId, accessKeySecret: upstream.accessKeySecret }),
    });
  }

  /** Alternates the two probes until `stop` resolves. */
  async runUntil(stop: Promise<unknown>): Promise<FreshnessReport> {
    let stopped = false;
    const halt = (): void => {
      stopped = true;
    };
    void stop.then(halt, halt);
    for (let i = 0; !stopped; i += 1) {
      if (i % 2 === 0) await this.#upstreamCreate();
      else await this.#gatewayCreate();
      await sleep(100);
    }
    await this.#client.close();
    return { ...this.#report };
  }

  async #list(): Promise<{ ids: string[]; startedAt: number }> {
    const startedAt = performance.now();
    const answer = await this.graphql.post(LIST);
    this.#report.queries += 1;
    return { ids: answer.json.data ? taskIdsOf(answer.json.data) : [], startedAt };
  }

  async #upstreamCreate(): Promise<void> {
    const created = await this.#client.createUsageDetailTask({ type: "flow", ...lastFullDay(Date.now()), taskName: "freshness probe" });
    const ackedAt = performance.now();
    this.#report.upstreamCreates += 1;
    for (;;) {
      const { ids, startedAt } = await this.#list();
      if (ids.includes(created.taskId)) {
        this.#report.maxVisibleAfterMs = Math.max(this.#report.maxVisibleAfterMs, performance.now() - ackedAt);
        return;
      }
      this.#report.maxStaleAgeMs = Math.max(this.#report.maxStaleAgeMs, startedAt - ackedAt);
      if (startedAt - ackedAt > GIVE_UP_MS) return;
      await sleep(POLL_MS);
    }
  }

  async #gatewayCreate(): Promise<void> {
    const data = await this.graphql.data(createBody("freshness probe via gateway"));
    const taskId = (data.createUsageExport as { taskId: string }).taskId; // CREATE_MUTATION's shape
    this.#report.gatewayCreates += 1;
    const { ids } = await this.#list();
    if (!ids.includes(taskId)) this.#report.gatewayCreatesNotVisible += 1;
  }
}
