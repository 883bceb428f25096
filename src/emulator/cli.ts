/**
 * `npm run emulator`: the CDN export API emulator alone on 127.0.0.1:EMULATOR_PORT, printing
 * its URL and AccessKey pair (the secret only when it is the demo one). Stops on SIGINT/SIGTERM.
 */
import { EmulatorEnvError, readEmulatorCliConfig, type EmulatorCliConfig } from "./cli-config.js";
import { startEmulator, type RunningEmulator } from "./index.js";

const HOST = "127.0.0.1";

function banner(emulator: RunningEmulator, config: EmulatorCliConfig): string {
  const secret = config.demoCredentials ? emulator.accessKeySecret : "<your secret>";
  const activeFaults = Object.entries(config.faults).filter(([, value]) => value > 0);
  return [
    `CDN export API emulator (2018-05-10) listening on ${emulator.url}`,
    `  AccessKeyId      ${emulator.accessKeyId}`,
    config.demoCredentials
      ? `  AccessKeySecret  ${emulator.accessKeySecret}   (demo credential: it opens only this local emulator)`
      : "  AccessKeySecret  (set from EMULATOR_ACCESS_KEY_SECRET)",
    ...(config.securityToken === undefined ? [] : ["  SecurityToken    (set from EMULATOR_SECURITY_TOKEN: calls must carry it)"]),
    `  Tasks turn success after ${config.taskSeconds} s; quota ${config.quotaPerSecond} calls/s per AccessKey.`,
    ...(activeFaults.length === 0 ? [] : [`  Faults: ${activeFaults.map(([name, value]) => `${name}=${value}`).join(", ")}`]),
    "Point the gateway at it:",
    // CDN_DOWNLOAD_ORIGINS: the emulator's download URLs are plain http on a loopback port.
    `  CDN_ENDPOINT=${emulator.url} CDN_DOWNLOAD_ORIGINS=${emulator.url} ALIBABA_CLOUD_ACCESS_KEY_ID=${emulator.accessKeyId} ALIBABA_CLOUD_ACCESS_KEY_SECRET=${secret} GATEWAY_AUTH=off npm start`,
    "Press Ctrl+C to stop.",
  ].join("\n");
}

async function main(): Promise<void> {
  let config: EmulatorCliConfig;
  try {
    config = readEmulatorCliConfig(process.env);
  } catch (error) {
    if (!(error instanceof EmulatorEnvError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
    return;
  }

  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator({
      host: HOST,
      port: config.port,
      accessKeyId: config.accessKeyId,
      accessKeySecret: config.accessKeySecret,
      securityToken: config.securityToken,
      taskSeconds: config.taskSeconds,
      quotaPerSecond: config.quotaPerSecond,
      faults: config.faults,
      onInternalError: (error) => console.error("emulator bug (answered InternalError):", error),
    });
  } catch (error) {
    const code = error instanceof Error && "code" in error ? error.code : undefined;
    if (code !== "EADDRINUSE" && code !== "EACCES") throw error;
    console.error(`Invalid configuration: EMULATOR_PORT ${config.port} cannot be used on ${HOST} (${code}); pick another port`);
    process.exitCode = 1;
    return;
  }
  console.log(banner(emulator, config));

  const stop = (signal: NodeJS.Signals): void => {
    console.log(`${signal}: stopping the emulator`);
    emulator.close().then(
      () => console.log("emulator stopped"),
      (error: unknown) => {
        console.error("emulator did not stop cleanly:", error instanceof Error ? error.message : error);
        process.exitCode = 1;
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

await main();
