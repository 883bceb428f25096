/**
 * The bench's upstream: the project's emulator (`startEmulator`, the code `npm run emulator`
 * runs) in a process of its own, driven over IPC. One host serves a whole run; each case starts
 * a fresh emulator in it (its own history, quota and latency) and stops it at the end. Besides the emulator's own stats it can record
 * every API call it receives (time, action, PageNumber) through Node's `http.server.request.start`
 * diagnostics channel, so the bench sees exact call times and pages without touching emulator code.
 */
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { startEmulator } from "../../src/emulator/index.js";
import type { EmulatorFaults, RunningEmulator } from "../../src/emulator/types.js";
import { serveRpc } from "../lib/rpc.js";
import type { CallRecord, EmulatorHostMethods, EmulatorHostOptions } from "../lib/emulator-protocol.js";

let emulator: RunningEmulator | undefined;
let recording: CallRecord[] | undefined;

subscribe("http.server.request.start", (message) => {
  if (recording === undefined) return;
  const request = (message as { request: IncomingMessage }).request;
  const url = request.url ?? "/";
  if (!url.startsWith("/?") && url !== "/") return; // downloads are not API calls
  const action = request.headers["x-acs-action"];
  const page = /[?&]PageNumber=(\d+)/.exec(url)?.[1];
  recording.push({
    atMs: performance.timeOrigin + performance.now(),
    action: typeof action === "string" ? action : "(v1 or unknown)",
    ...(page === undefined ? {} : { page: Number(page) }),
  });
});

function running(): RunningEmulator {
  if (emulator === undefined) throw new Error("emulator not started");
  return emulator;
}

const methods: EmulatorHostMethods = {
  async start(options: EmulatorHostOptions) {
    // A case that failed before stopping its emulator must not block the next one.
    await emulator?.close();
    emulator = await startEmulator({
      host: "127.0.0.1",
      port: options.port,
      quotaPerSecond: options.quotaPerSecond,
      historySize: options.historySize,
      taskSeconds: options.taskSeconds,
      faults: { latencyMs: options.latencyMs },
    });
    return { url: emulator.url, accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret };
  },
  async stop() {
    const stopping = emulator;
    emulator = undefined;
    recording = undefined;
    await stopping?.close();
    return null;
  },
  stats: () => Promise.resolve(running().stats()),
  resetStats: () => {
    running().resetStats();
    return Promise.resolve(null);
  },
  setFaults: (faults: Partial<EmulatorFaults>) => {
    running().setFaults(faults);
    return Promise.resolve(null);
  },
  startRecording: () => {
    recording = [];
    return Promise.resolve(null);
  },
  takeRecording: () => {
    const taken = recording ?? [];
    recording = undefined;
    return Promise.resolve(taken);
  },
};

serveRpc(methods);
