/** `npm run bench -- [--quick] [--only overhead,quota] [--out file] [--gateway dist|source] [--no-build] [--profile] [--tracing] [--help]` */
import { parseArgs } from "node:util";
import { distIsFresh } from "./build.js";
import type { GatewayBuild } from "./gateway.js";

export interface BenchOptions {
  /** Small sizes and short rounds: proves the harness works; figures mean little. Runs the
   * gateway from dist/ when it is up to date, else from src/ under tsx (a fresh clone). */
  quick: boolean;
  /** Case ids to run; empty = all. */
  only: string[];
  out: string;
  gateway: GatewayBuild;
  /** Rebuild dist/ when it is older than src/ (full runs against dist only). */
  build: boolean;
  /** Run every gateway under `node --cpu-prof`; profiles land in the run's log directory. */
  profile: boolean;
  /** Every gateway traces every request (100 % sampling) to a local OTLP sink (lib/otlp-sink.ts). */
  tracing: boolean;
  /** Print the usage (and the case ids) instead of running. */
  help: boolean;
}

export function usage(caseIds: readonly string[]): string {
  return [
    "npm run bench -- [options]",
    "  --only <ids>        run only these cases (comma-separated or repeated): " + caseIds.join(", "),
    "  --quick             tiny sizes: proves the harness works; figures mean little",
    "  --out <file>        where to write the results (default bench/results.json)",
    "  --gateway dist|source  run the built gateway (default) or src/ under tsx",
    "  --no-build          do not rebuild dist/ when src/ is newer",
    "  --profile           every gateway under node --cpu-prof (profiles in the log directory)",
    "  --tracing           every gateway traces every request to a local OTLP sink",
    "  --help              this text",
    "",
  ].join("\n");
}

export function parseBenchOptions(argv: readonly string[], defaultOut: string): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string", multiple: true, default: [] },
      out: { type: "string" },
      gateway: { type: "string" },
      "no-build": { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      tracing: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  const gateway = values.gateway ?? (values.quick && !distIsFresh() ? "source" : "dist");
  if (gateway !== "dist" && gateway !== "source") throw new Error("--gateway must be dist or source");
  return {
    quick: values.quick,
    only: values.only.flatMap((value) => value.split(",")).map((value) => value.trim()).filter((value) => value !== ""),
    out: values.out ?? defaultOut,
    gateway,
    build: !values["no-build"],
    profile: values.profile,
    tracing: values.tracing,
    help: values.help,
  };
}
