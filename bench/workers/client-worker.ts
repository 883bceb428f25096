/**
 * The direct baseline: the project's own signed client (`createCdnClient`, V3 signing, the same
 * code the gateway uses) calling the emulator from a load process of its own, with no gateway
 * in between. The client (and its keep-alive pool) lives across jobs, as the gateway's does.
 */
import { createCdnClient, Credentials, type CdnClient } from "../../src/upstream/index.js";
import { closedLoop } from "../lib/closed-loop.js";
import type { LoadResult, UpstreamLoadJob, UpstreamLoadMethods } from "../lib/load-protocol.js";
import { serveRpc } from "../lib/rpc.js";

const clients = new Map<string, CdnClient>();

function clientFor(job: UpstreamLoadJob): CdnClient {
  const key = `${job.endpoint} ${job.accessKeyId} ${job.concurrency}`;
  let client = clients.get(key);
  if (client === undefined) {
    client = createCdnClient({
      endpoint: job.endpoint,
      credentials: new Credentials({ accessKeyId: job.accessKeyId, accessKeySecret: job.accessKeySecret }),
      signatureVersion: "v3",
      // Pool as large as the load's concurrency (the gateway's pool is 32 by default).
      connections: job.concurrency,
      maxAttempts: 1,
    });
    clients.set(key, client);
  }
  return client;
}

function run(job: UpstreamLoadJob): Promise<LoadResult> {
  const client = clientFor(job);
  return closedLoop(job, job.concurrency, job.pages, (pageNumber) => client.describeTasks("USAGE_DETAIL", { pageNumber, pageSize: 50 }));
}

const methods: UpstreamLoadMethods = { run };
serveRpc(methods);
