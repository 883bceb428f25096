/**
 * The official SDK `@alicloud/cdn20180510` (default V3 signing, default runtime options, as
 * users run it) calling the emulator from a load process of its own.
 */
import Cdn20180510, * as $Cdn from "@alicloud/cdn20180510";
import { $OpenApiUtil } from "@alicloud/openapi-core";
import { closedLoop } from "../lib/closed-loop.js";
import type { LoadResult, UpstreamLoadJob, UpstreamLoadMethods } from "../lib/load-protocol.js";
import { serveRpc } from "../lib/rpc.js";

type SdkClass = typeof Cdn20180510.default;
// The SDK is CommonJS: under Node's ESM loader the default import is the module object, under
// some bundlers the class itself. Accept either.
const imported: unknown = Cdn20180510;
const SdkClient: SdkClass = typeof imported === "function" ? (imported as SdkClass) : Cdn20180510.default;

const clients = new Map<string, InstanceType<SdkClass>>();

/** One SDK client per endpoint, kept across jobs (its sockets stay in Node's global agent). */
function clientFor(job: UpstreamLoadJob): InstanceType<SdkClass> {
  const key = `${job.endpoint} ${job.accessKeyId}`;
  let client = clients.get(key);
  if (client === undefined) {
    client = new SdkClient(
      new $OpenApiUtil.Config({
        accessKeyId: job.accessKeyId,
        accessKeySecret: job.accessKeySecret,
        endpoint: new URL(job.endpoint).host,
        protocol: "http",
      }),
    );
    clients.set(key, client);
  }
  return client;
}

function run(job: UpstreamLoadJob): Promise<LoadResult> {
  const client = clientFor(job);
  return closedLoop(job, job.concurrency, job.pages, (pageNumber) =>
    client.describeUserUsageDetailDataExportTask(new $Cdn.DescribeUserUsageDetailDataExportTaskRequest({ pageNumber, pageSize: 50 })),
  );
}

const methods: UpstreamLoadMethods = { run };
serveRpc(methods);
