/**
 * Process entry: config → (embedded emulator) → client → server, then wait for a signal.
 * Bad configuration prints one line naming the variable and exits 1.
 */
import { ConfigError, loadConfig, type GatewayConfig } from "./config.js";
import type { App } from "./app.js";

let config: GatewayConfig;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

let app: App;
try {
  // Loaded after the config is known good: a typo fails in milliseconds, not after loading the stack.
  const { startApp } = await import("./app.js");
  app = await startApp(config);
} catch (error) {
  // e.g. EADDRINUSE: one line, not a stack trace.
  const code = (error as { code?: unknown }).code;
  process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}${typeof code === "string" ? ` (${code})` : ""}\n`);
  process.exit(1);
}

let stopping = false;
function exit(code: number): void {
  app.logger.flush(() => process.exit(code));
}
function shutdown(signal: NodeJS.Signals): void {
  if (stopping) {
    app.logger.warn({ signal }, "second signal: exiting now");
    exit(1);
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
