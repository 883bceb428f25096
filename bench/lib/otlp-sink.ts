/**
 * `--tracing`: a stand-in OpenTelemetry collector in the bench process, on loopback. Every
 * gateway of the run exports every span to it (OTLP/HTTP protobuf, `always_on` sampling); it
 * reads each export, counts it and answers 200, keeping nothing, so the figures show what
 * recording and exporting cost the gateway, not what a collector costs.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface OtlpSinkStats {
  exports: number;
  bytes: number;
}

export interface OtlpSink {
  readonly url: string;
  stats(): OtlpSinkStats;
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const totals: OtlpSinkStats = { exports: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on("data", (chunk: Buffer) => (totals.bytes += chunk.length));
    req.on("end", () => {
      totals.exports += 1;
      res.writeHead(200, { "content-type": "application/x-protobuf", "content-length": 0 });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ ...totals }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The variables that turn a gateway's tracing on, every span sampled, exported to `sink`. */
export function tracingEnv(sink: OtlpSink): Record<string, string> {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf", OTEL_TRACES_SAMPLER: "always_on" };
}
