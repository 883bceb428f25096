/**
 * Fetches an export file to a temporary file, under the rules of design.md "Export contents":
 * only URLs the download policy allows (download-policy.ts); no redirect to another origin;
 * no private, loopback or link-local address unless the origin was configured explicitly
 * (address-guard.ts, checked on the address connected to); at most EXPORT_MAX_FILE_BYTES and
 * EXPORT_FETCH_TIMEOUT_MS; streamed to disk, never held whole in memory. A 403 from storage
 * is an expired signed link: `downloadWithRefresh` asks for a fresh URL once.
 *
 * Errors name the host at most: the URL's query carries the storage signature.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { isIP, type LookupFunction } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Agent, request, type Dispatcher } from "undici";
import { AddressRefusedError, isPublicAddress, publicOnlyLookup } from "./address-guard.js";
import { checkDownloadUrl, type DownloadUrlPolicy } from "./download-policy.js";
import { ExportError, ExportTooLargeError, ExportUnavailableError } from "./errors.js";

export const DEFAULT_EXPORT_MAX_FILE_BYTES = 268_435_456;
export const DEFAULT_EXPORT_FETCH_TIMEOUT_MS = 120_000;
/** Same-origin redirects followed at most (storage may move a key once or twice, not more). */
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface ExportDownloaderOptions {
  policy: DownloadUrlPolicy;
  /** EXPORT_MAX_FILE_BYTES. */
  maxBytes?: number;
  /** EXPORT_FETCH_TIMEOUT_MS: the whole download, redirects included. */
  timeoutMs?: number;
  /** Where temporary files go; default the OS's. */
  tempDir?: string;
  /** Name resolution (default DNS); tests point names at loopback addresses. */
  lookup?: LookupFunction;
}

export interface DownloadedFile {
  path: string;
  bytes: number;
  /** Removes the temporary file. */
  dispose(): Promise<void>;
}

/** Where a task's file is, and how to ask the task list for a fresh link when it expired. */
export interface ExportSource {
  url: string;
  /** The task's current DownloadUrl from the task list, or null when it has none any more. */
  refreshUrl(): Promise<string | null>;
}

export class ExportDownloader {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly #policy: DownloadUrlPolicy;
  readonly #tempDir: string;
  /** Connects only to public addresses. */
  readonly #publicAgent: Agent;
  /** For origins configured explicitly: any address. */
  readonly #configuredAgent: Agent;

  constructor(options: ExportDownloaderOptions) {
    this.#policy = options.policy;
    this.maxBytes = options.maxBytes ?? DEFAULT_EXPORT_MAX_FILE_BYTES;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_EXPORT_FETCH_TIMEOUT_MS;
    this.#tempDir = options.tempDir ?? tmpdir();
    this.#publicAgent = new Agent({ connect: { lookup: publicOnlyLookup(options.lookup) } });
    this.#configuredAgent = new Agent(options.lookup ? { connect: { lookup: options.lookup } } : {});
  }

  /** Downloads `rawUrl` to a temporary file; the caller disposes of it. */
  async download(rawUrl: string, signal?: AbortSignal): Promise<DownloadedFile> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([deadline, signal]) : deadline;
    let url = this.#allowed(rawUrl);
    const dir = await mkdtemp(join(this.#tempDir, "cdn-export-"));
    const path = join(dir, "export.xlsx");
    const dispose = () => rm(dir, { recursive: true, force: true });
    try {
      for (let redirects = 0; ; redirects++) {
        const explicit = this.#policy.origins.has(url.origin);
        if (!explicit && isIP(bareHost(url)) !== 0 && !isPublicAddress(bareHost(url))) {
          throw new ExportUnavailableError("host-not-allowed", url.hostname, "not a public address");
        }
        const response = await request(url, {
          method: "GET",
          dispatcher: explicit ? this.#configuredAgent : this.#publicAgent,
          signal: combined,
          headers: { accept: "*/*" },
        });
        if (REDIRECTS.has(response.statusCode)) {
          discard(response.body);
          url = this.#redirect(url, response.headers.location, redirects);
          continue;
        }
        if (response.statusCode === 403) {
          discard(response.body);
          throw new ExportUnavailableError("expired", url.hostname, "storage answered 403 (the signed link has expired)");
        }
        if (response.statusCode < 200 || response.statusCode > 299) {
          discard(response.body);
          throw new ExportUnavailableError("fetch-failed", url.hostname, `storage answered HTTP ${response.statusCode}`);
        }
        const declared = Number(response.headers["content-length"]);
        if (Number.isFinite(declared) && declared > this.maxBytes) {
          discard(response.body);
          throw new ExportTooLargeError(this.maxBytes);
        }
        const counter = new ByteCap(this.maxBytes);
        await pipeline(response.body, counter, createWriteStream(path), { signal: combined });
        return { path, bytes: counter.bytes, dispose };
      }
    } catch (error) {
      await dispose();
      throw this.#failure(error, url.hostname, deadline, signal);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#publicAgent.close(), this.#configuredAgent.close()]);
  }

  #allowed(rawUrl: string): URL {
    const verdict = checkDownloadUrl(rawUrl, this.#policy);
    if (!verdict.ok) throw new ExportUnavailableError("host-not-allowed", verdict.host, `the download policy refuses it (${verdict.reason})`);
    return new URL(verdict.url);
  }

  #redirect(from: URL, location: string | string[] | undefined, redirects: number): URL {
    const target = typeof location === "string" ? location : undefined;
    if (target === undefined) throw new ExportUnavailableError("fetch-failed", from.hostname, "redirect without a location");
    if (redirects >= MAX_REDIRECTS) throw new ExportUnavailableError("fetch-failed", from.hostname, `more than ${MAX_REDIRECTS} redirects`);
    let next: URL;
    try {
      next = new URL(target, from);
    } catch {
      throw new ExportUnavailableError("fetch-failed", from.hostname, "redirect to a malformed location");
    }
    if (next.origin !== from.origin) throw new ExportUnavailableError("host-not-allowed", next.hostname, `redirect from ${from.hostname} to another origin`);
    return this.#allowed(next.href);
  }

  #failure(error: unknown, host: string, deadline: AbortSignal, signal: AbortSignal | undefined): unknown {
    if (error instanceof ExportError) return error;
    if (causes(error).some((cause) => cause instanceof ExportTooLargeError)) return new ExportTooLargeError(this.maxBytes);
    const refused = causes(error).find((cause) => cause instanceof AddressRefusedError);
    if (refused) return new ExportUnavailableError("host-not-allowed", host, "the name resolves to an address that is not public");
    if (signal?.aborted) return signal.reason;
    if (deadline.aborted) return new ExportUnavailableError("fetch-failed", host, `no complete file within ${this.timeoutMs} ms`);
    // The cause is left out on purpose: transport errors may quote the request.
    return new ExportUnavailableError("fetch-failed", host, errorCode(error));
  }
}

/**
 * Downloads a task's file; when storage says the link expired (403), asks the task list for
 * the task's current link once and tries that.
 */
export async function downloadWithRefresh(downloader: ExportDownloader, source: ExportSource, signal?: AbortSignal): Promise<DownloadedFile> {
  try {
    return await downloader.download(source.url, signal);
  } catch (error) {
    if (!(error instanceof ExportUnavailableError && error.reason === "expired")) throw error;
    const fresh = await source.refreshUrl();
    // No link, or the same expired one: asking storage again would only be refused again.
    if (fresh === null || fresh === source.url) throw error;
    return downloader.download(fresh, signal);
  }
}

/** Counts bytes through; past the cap it fails with ExportTooLargeError. */
class ByteCap extends Transform {
  bytes = 0;
  constructor(private readonly cap: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    if (this.bytes > this.cap) callback(new ExportTooLargeError(this.cap));
    else callback(null, chunk);
  }
}

/** Lets go of a body not wanted: a little is read so the connection can serve again, the rest cut. */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.dump({ limit: 64 * 1024 }).catch(() => undefined);
}

function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && current !== null && chain.length < 8; ) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

function errorCode(error: unknown): string {
  for (const cause of causes(error)) {
    if (typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string") return cause.code;
  }
  return error instanceof Error ? error.name : "unknown error";
}
