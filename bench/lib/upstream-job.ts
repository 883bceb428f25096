/** Builds the upstream load job for an emulator endpoint. */
import type { EmulatorEndpoint } from "./emulator-protocol.js";
import type { LoadSize, UpstreamLoadJob } from "./load-protocol.js";

export function upstreamJob(endpoint: EmulatorEndpoint, concurrency: number, pages: number[], size: LoadSize): UpstreamLoadJob {
  return { endpoint: endpoint.url, accessKeyId: endpoint.accessKeyId, accessKeySecret: endpoint.accessKeySecret, concurrency, pages, ...size };
}
