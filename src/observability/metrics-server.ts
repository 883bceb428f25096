/**
 * The internal metrics listener: `GET /metrics` on its own host:port (METRICS_HOST/METRICS_PORT,
 * default 127.0.0.1:9464), kept off the public GraphQL port so scrapers reach it and callers don't.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { GatewayMetrics } from "./metrics.js";

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(options: { host: string; port: number; metrics: GatewayMetrics }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    options.metrics.render().then(
      (text) => res.writeHead(200, { "content-type": options.metrics.contentType }).end(text),
      () => res.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
