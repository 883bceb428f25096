/**
 * Process entry: config → (embedded emulator) → client → server, then wait for a signal.
 * Bad configuration prints one line naming the variable and exits 1.
 */
import { ConfigError, loadConfig, type GatewayConfig } from "./config.js";
import type { App } from "./app.js";
import type { Tracing } from "./observability/tracing.js";

let config: GatewayConfig;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

let app: App;
let tracing: Tracing | null = null;
try {
  // The OpenTelemetry SDK is loaded only when an OTLP endpoint is set, and before the gateway's
  // modules, so its HTTP instrumentation is in place when the listener is created.
  if (config.tracing !== null) {
    const { startTracing } = await import("./observability/tracing.js");
    tracing = await startTracing(config.tracing);
  }
  // Loaded after the config is known good: a typo fails in milliseconds, not after loading the stack.
  const { startApp } = await import("./app.js");
  app = await startApp(config);
  tracing?.logTo(app.logger);
} catch (error) {
  // e.g. EADDRINUSE: one line, not a stack trace.
  const code = (error as { code?: unknown }).code;
  process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}${typeof code === "string" ? ` (${code})` : ""}\n`);
  process.exit(1);
}

let stopping = false;
/** A collector that does not answer delays the exit by this much at most. */
const TRACE_FLUSH_MS = 5000;

function exit(code: number, flushTraces = true): void {
  // The last spans (the requests that drained) are exported before the process goes.
  const flushed =
    tracing === null || !flushTraces
      ? Promise.resolve()
      : Promise.race([
          tracing.shutdown().catch((error: unknown) => app.logger.warn({ err: error }, "trace export at shutdown failed")),
          new Promise<void>((resolve) => setTimeout(resolve, TRACE_FLUSH_MS)),
        ]);
  void flushed.then(() => app.logger.flush(() => process.exit(code)));
}
function shutdown(signal: NodeJS.Signals): void {
  if (stopping) {
    app.logger.warn({ signal }, "second signal: exiting now");
    exit(1, false);
    return;
  }
  stopping = true;
  app.logger.info({ signal }, "signal received: shutting down");
  app.close().then(
    () => exit(0),
    (error: unknown) => {
      app.logger.error({ err: error }, "shutdown failed");
      exit(1);
    },
  );
}
process.on("SIGTERM", shutdown).on("SIGINT", shutdown);
