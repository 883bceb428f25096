/**
 * Which DownloadUrls the gateway hands to clients, and may fetch itself. A URL from the
 * upstream's task list goes to browsers, which follow it; a tampered list or a misdirected
 * CDN_ENDPOINT must not turn the gateway into an open redirect to any host. The gateway never
 * proxies a file to clients; it fetches one itself only to read an export's contents (usage,
 * sheets, the CSV route: download.ts), and only a URL this policy allows, under stricter rules
 * on top (so it cannot be used for SSRF): the resolved address must be public unless the origin
 * is configured explicitly, no redirect to another origin, a byte cap and a deadline.
 *
 * Allowed: https on the default port to a host under one of `httpsHostSuffixes` (default: the
 * Alibaba Cloud domains, below), or any URL whose origin is exactly one of `origins` (the
 * embedded emulator's own, which is plain http on a loopback port, and CDN_DOWNLOAD_ORIGINS).
 * Refused: anything that does not parse, carries user info (`https://user@host`), uses another
 * scheme or port, or names another host. A refused URL becomes null and is reported through `onRefused` with the
 * host and reason only: signed download URLs carry credentials in their query string.
 */
import type { ExportKind } from "../upstream/types.js";

/**
 * upstream-api.md documents DownloadUrl only as `https://…/billing_data/xxx`: the export files
 * live in Alibaba Cloud storage. `aliyuncs.com` is the API's own domain (cdn.aliyuncs.com) and
 * that of Alibaba Cloud OSS buckets (`<bucket>.oss-<region>.aliyuncs.com`); `alicdn.com` is
 * Alibaba's own CDN domain. Both are registrable domains owned by Alibaba, and the leading dot
 * means subdomains only (`evil-aliyuncs.com` does not match).
 */
export const ALIBABA_DOWNLOAD_HOST_SUFFIXES: readonly string[] = [".aliyuncs.com", ".alicdn.com"];

/** URLs longer than this are refused (a real signed OSS URL is a few hundred characters). */
export const MAX_DOWNLOAD_URL_LENGTH = 4096;

export type DownloadUrlRefusal = "malformed" | "too-long" | "userinfo" | "scheme" | "port" | "host";

export interface DownloadUrlRefusedEvent {
  kind: ExportKind;
  taskId: string;
  reason: DownloadUrlRefusal;
  /** The URL's host when it parsed; never the path or query. */
  host: string | null;
}

export interface DownloadUrlPolicy {
  /** Exact origins (`scheme://host[:port]`), normalised. */
  readonly origins: ReadonlySet<string>;
  /** Lower-case, each starting with a dot. */
  readonly httpsHostSuffixes: readonly string[];
  readonly onRefused: ((event: DownloadUrlRefusedEvent) => void) | null;
}

export interface DownloadUrlPolicyOptions {
  origins?: readonly string[];
  /** Default ALIBABA_DOWNLOAD_HOST_SUFFIXES; [] allows exact origins only. */
  httpsHostSuffixes?: readonly string[];
  onRefused?: (event: DownloadUrlRefusedEvent) => void;
}

/** Builds a policy; throws on an origin or suffix that cannot be what it claims (a wiring bug). */
export function downloadUrlPolicy(options: DownloadUrlPolicyOptions = {}): DownloadUrlPolicy {
  const origins = new Set(
    (options.origins ?? []).map((origin) => {
      const parsed = new URL(origin);
      if (parsed.origin === "null" || parsed.username !== "" || parsed.password !== "") throw new Error(`downloadUrlPolicy: not an origin: ${origin}`);
      return parsed.origin;
    }),
  );
  const suffixes = (options.httpsHostSuffixes ?? ALIBABA_DOWNLOAD_HOST_SUFFIXES).map((suffix) => {
    const lower = suffix.toLowerCase();
    if (!/^(\.[a-z0-9-]+){2,}$/.test(lower)) throw new Error(`downloadUrlPolicy: host suffix must look like .example.com: ${suffix}`);
    return lower;
  });
  return { origins, httpsHostSuffixes: suffixes, onRefused: options.onRefused ?? null };
}

export type DownloadUrlVerdict = { ok: true; url: string } | { ok: false; reason: DownloadUrlRefusal; host: string | null };

/** Whether `raw` may be shown; the URL shown is the parsed, normalised one that was checked. */
export function checkDownloadUrl(raw: string, policy: DownloadUrlPolicy): DownloadUrlVerdict {
  if (raw.length > MAX_DOWNLOAD_URL_LENGTH) return { ok: false, reason: "too-long", host: null };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "malformed", host: null };
  }
  const host = url.hostname;
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "userinfo", host };
  if (policy.origins.has(url.origin)) return { ok: true, url: url.href };
  if (url.protocol !== "https:") return { ok: false, reason: "scheme", host };
  if (url.port !== "") return { ok: false, reason: "port", host };
  const lower = host.toLowerCase();
  if (!policy.httpsHostSuffixes.some((suffix) => lower.endsWith(suffix) && lower.length > suffix.length)) {
    return { ok: false, reason: "host", host };
  }
  return { ok: true, url: url.href };
}

/** Distinct (host, reason) pairs remembered by `reportOncePerHost`; past that, each is reported. */
export const MAX_REPORTED_HOSTS = 1000;

/**
 * Wraps a refusal reporter so each (host, reason) is reported once for the wrapper's life (the
 * app keeps one per process): a host the policy does not allow is refused for every task on
 * every read, and one log line says as much as thousands. Only the report is deduplicated: the
 * URL is still refused each time.
 */
export function reportOncePerHost(report: (event: DownloadUrlRefusedEvent) => void): (event: DownloadUrlRefusedEvent) => void {
  const reported = new Set<string>();
  return (event) => {
    const key = `${event.reason}\u0000${event.host ?? ""}`;
    if (reported.has(key)) return;
    // Bounded: a list naming ever new hosts must not grow this set without end.
    if (reported.size < MAX_REPORTED_HOSTS) reported.add(key);
    report(event);
  };
}

/**
 * Per request: each task's URL is checked (and a refusal reported) once, however many fields
 * (`downloadUrl`, `download { url }`) ask for it.
 */
export class DownloadUrlGuard {
  readonly #verdicts = new Map<string, string | null>();

  constructor(private readonly policy: DownloadUrlPolicy) {}

  urlOf(task: { kind: ExportKind; taskId: string; downloadUrl: string | null }): string | null {
    if (task.downloadUrl === null) return null;
    const memo = `${task.kind}\u0000${task.taskId}\u0000${task.downloadUrl}`;
    const known = this.#verdicts.get(memo);
    if (known !== undefined) return known;
    const verdict = checkDownloadUrl(task.downloadUrl, this.policy);
    if (!verdict.ok) this.policy.onRefused?.({ kind: task.kind, taskId: task.taskId, reason: verdict.reason, host: verdict.host });
    const url = verdict.ok ? verdict.url : null;
    this.#verdicts.set(memo, url);
    return url;
  }
}
