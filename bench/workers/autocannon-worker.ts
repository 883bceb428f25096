/**
 * The HTTP load generator: autocannon in a process of its own. Bodies are handed out in turn
 * from one counter shared by all connections (so concurrent requests ask for different pages
 * when the job says so); latencies come from autocannon's per-response `response` event, which
 * carries the exact hrtime duration (its histogram rounds to whole milliseconds).
 */
import autocannon from "autocannon";
import { LatencyRecorder } from "../lib/latency.js";
import type { HttpLoadJob, HttpLoadMethods, LoadResult } from "../lib/load-protocol.js";
import { serveRpc } from "../lib/rpc.js";

/** GraphQL error codes in an answer body, or [] when it has no `errors`. */
function errorCodesOf(body: string): string[] {
  if (!body.includes('"errors"')) return [];
  const codes = [...body.matchAll(/"code":"([A-Z_]+)"/g)].map((match) => match[1] ?? "UNKNOWN");
  return codes.length > 0 ? codes : ["NO_CODE"];
}

function run(job: HttpLoadJob): Promise<LoadResult> {
  const latencies = new LatencyRecorder();
  const errorCodes: Record<string, number> = {};
  let graphqlFailures = 0;
  let next = 0;
  const { bodies } = job;
  if (bodies.length === 0) return Promise.reject(new Error("a load job needs at least one body"));

  const request: autocannon.Request = {
    method: "POST",
    setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] ?? "" }),
    ...(job.checkBodies
      ? {
          onResponse: (_status: number, body: string) => {
            const codes = errorCodesOf(body);
            if (codes.length === 0) return;
            graphqlFailures += 1;
            for (const code of codes) errorCodes[code] = (errorCodes[code] ?? 0) + 1;
          },
        }
      : {}),
  };

  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        headers: { "content-type": "application/json", ...job.headers },
        requests: [request],
        timeout: 30,
        ...("amount" in job ? { amount: job.amount } : { duration: job.durationMs / 1000 }),
      },
      (error, result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const durationMs = performance.now() - startedAt;
        const completed = result.requests.total;
        resolve({
          completed,
          failed: result.non2xx + result.errors + result.timeouts + graphqlFailures,
          durationMs,
          perSecond: (completed / durationMs) * 1000,
          latencyMs: latencies.summary(),
          errorCodes,
        });
      },
    );
    instance.on("response", (_client, _status, _bytes, responseTime) => latencies.record(responseTime));
    // A time box on a fixed amount: stop early (autocannon then reports what it completed).
    if ("maxDurationMs" in job && job.maxDurationMs !== undefined) {
      const timer = setTimeout(() => instance.stop(), job.maxDurationMs);
      instance.on("done", () => clearTimeout(timer));
    }
  });
}

const methods: HttpLoadMethods = { run };
serveRpc(methods);
