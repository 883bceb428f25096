/**
 * The app shares the totals its requests read (RecentTotals in server.ts), so a later
 * `_entities` batch reads all the pages it needs in one wave instead of page 1 first. Waves are
 * seen at the emulator: how many page reads are in flight there at once.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { RunningEmulator } from "../../src/emulator/types.js";
import { createCdnClient, Credentials } from "../../src/upstream/index.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

const HISTORY = 600;
const ENTITIES = `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on ExportTask { taskId } } }`;

/** Describe calls the emulator is answering right now, and the most at once since `reset`. */
function pageReadsInFlight() {
  let now = 0;
  let most = 0;
  const isPageRead = (request: IncomingMessage): boolean => String(request.headers["x-acs-action"] ?? "").startsWith("Describe");
  const onStart = (message: unknown): void => {
    if (!isPageRead((message as { request: IncomingMessage }).request)) return;
    now += 1;
    most = Math.max(most, now);
  };
  const onFinish = (message: unknown): void => {
    if (isPageRead((message as { response: ServerResponse }).response.req)) now -= 1;
  };
  subscribe("http.server.request.start", onStart);
  subscribe("http.server.response.finish", onFinish);
  return {
    most: () => most,
    reset: () => {
      most = now;
    },
    stop: () => {
      unsubscribe("http.server.request.start", onStart);
      unsubscribe("http.server.response.finish", onFinish);
    },
  };
}

describe("_entities across requests", () => {
  let emulator: RunningEmulator;
  let h: ServerHarness;
  let ids: string[];
  const inFlight = pageReadsInFlight();

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, historySize: { USAGE_DETAIL: HISTORY, USER_USAGE: 0 }, quotaPerSecond: 10_000 });
    h = await startServerHarness({
      env: {
        ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.accessKeySecret,
        CDN_ENDPOINT: emulator.url,
        CDN_CACHE_TTL_MS: "0",
        CDN_RATE_LIMIT: "10000",
        GATEWAY_AUTH: "off",
      },
    });
    // The ids, read past the gateway so it has seen no total yet.
    const direct = createCdnClient({ endpoint: emulator.url, credentials: new Credentials({ accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret }) });
    ids = [];
    for (let page = 1; page <= HISTORY / 50; page += 1) {
      ids.push(...(await direct.describeTasks("USAGE_DETAIL", { pageNumber: page, pageSize: 50 })).tasks.map((task) => task.taskId));
    }
    await direct.close();
    // Latency keeps every read of one wave in flight together, however slow the machine.
    emulator.setFaults({ latencyMs: 100 });
  });
  afterAll(async () => {
    inFlight.stop();
    await h.close();
    await emulator.close();
  });

  /** Every 6th task: 100 representations, some on each of the 12 pages. */
  const lookUp = async (): Promise<void> => {
    const wanted = ids.filter((_, i) => i % 6 === 0);
    const { body } = await postGraphQL(h.url, ENTITIES, {
      variables: { representations: wanted.map((taskId) => ({ __typename: "ExportTask", kind: "USAGE_DETAIL", taskId })) },
    });
    expect(body.errors).toBeUndefined();
    expect((body.data as { _entities: { taskId: string }[] })._entities.map((task) => task.taskId)).toEqual(wanted);
  };

  it("the first batch reads page 1 alone (no total yet), a later one all 12 pages at once", async () => {
    emulator.resetStats();
    inFlight.reset();
    await lookUp();
    expect(inFlight.most()).toBe(11);
    inFlight.reset();
    await lookUp();
    expect(inFlight.most()).toBe(12);
    // Each batch read every page once: 12 + 12.
    expect(emulator.stats().total).toBe(24);
  });
});
