/**
 * ExportDownloader against real HTTP servers on loopback: the download policy, redirects, the
 * private-address rule (checked on the address a name resolves to), the byte cap, the deadline,
 * the expired-link refresh, temporary files cleaned up, and no signed URL in any error.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer as createTcpServer, type AddressInfo, type LookupFunction, type Server as TcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPublicAddress } from "../../src/exports/address-guard.js";
import { downloadUrlPolicy } from "../../src/exports/download-policy.js";
import { downloadWithRefresh, ExportDownloader, type ExportDownloaderOptions } from "../../src/exports/download.js";
import { ExportTooLargeError, ExportUnavailableError } from "../../src/exports/errors.js";

const FILE = Buffer.from("PK\u0003\u0004 pretend workbook ".repeat(1000));
const SECRET = "Signature=do-not-log";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(host: string, handler: Handler): Promise<{ server: Server; origin: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createHttpServer((req, res) => {
    hits.push(req.url ?? "");
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, origin: `http://${host}:${(server.address() as AddressInfo).port}`, hits };
}

let storage: Awaited<ReturnType<typeof serve>>;
let elsewhere: Awaited<ReturnType<typeof serve>>;
let privateStorage: Awaited<ReturnType<typeof serve>>;
let canary: TcpServer | undefined;
let canaryConnections = 0;
let temp: string;
const downloaders: ExportDownloader[] = [];

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), "download-test-"));
  storage = await serve("127.0.0.1", (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/file.xlsx") res.writeHead(200, { "content-length": FILE.length }).end(FILE);
    else if (path === "/chunked") {
      res.writeHead(200);
      for (let i = 0; i < 10; i++) res.write(FILE);
      res.end();
    } else if (path === "/expired.xlsx") res.writeHead(403).end("<Error><Code>AccessDenied</Code></Error>");
    else if (path === "/missing.xlsx") res.writeHead(404).end();
    else if (path === "/declared-huge") res.writeHead(200, { "content-length": 10 * FILE.length }).end();
    else if (path === "/same-origin") res.writeHead(302, { location: `/file.xlsx?${SECRET}` }).end();
    else if (path === "/other-origin") res.writeHead(302, { location: `${elsewhere.origin}/file.xlsx?${SECRET}` }).end();
    else if (path === "/loop") res.writeHead(302, { location: "/loop" }).end();
    else if (path === "/stall") res.writeHead(200).write("PK");
    else res.writeHead(500).end();
  });
  elsewhere = await serve("127.0.0.1", (_req, res) => res.writeHead(200).end(FILE));
  privateStorage = await serve("127.0.0.2", (_req, res) => res.writeHead(200, { "content-length": FILE.length }).end(FILE));
  // Where https://files.example.test would connect if the guard let it (port 443 needs privileges).
  const server = createTcpServer((socket) => {
    canaryConnections += 1;
    socket.destroy();
  });
  canary = await new Promise<TcpServer | undefined>((resolve) => {
    server.once("error", () => resolve(undefined));
    server.listen(443, "127.0.0.2", () => resolve(server));
  });
});

afterAll(async () => {
  await Promise.all(downloaders.map((d) => d.close()));
  for (const s of [storage, elsewhere, privateStorage]) s.server.closeAllConnections();
  await Promise.all([storage, elsewhere, privateStorage].map((s) => new Promise((resolve) => s.server.close(resolve))));
  await new Promise((resolve) => (canary ? canary.close(resolve) : resolve(undefined)));
  await rm(temp, { recursive: true, force: true });
});

/** Every `*.test` name resolves to 127.0.0.2 (as a hostile or internal DNS answer could). */
const testLookup: LookupFunction = (hostname, options, callback) => {
  if (!hostname.endsWith(".test")) return callback(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), "", 0);
  if (options.all) return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: "127.0.0.2", family: 4 }]);
  callback(null, "127.0.0.2", 4);
};

function downloader(options: Partial<ExportDownloaderOptions> & { origins?: string[]; suffixes?: string[] } = {}): ExportDownloader {
  const d = new ExportDownloader({
    policy: downloadUrlPolicy({ origins: options.origins ?? [storage.origin], httpsHostSuffixes: options.suffixes ?? [] }),
    tempDir: temp,
    lookup: testLookup,
    ...options,
  });
  downloaders.push(d);
  return d;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ""}`;
  expect(text).not.toContain("do-not-log");
  expect(await readdir(temp)).toEqual([]);
  return error as Error;
}

async function unavailable(promise: Promise<unknown>, reason: string): Promise<ExportUnavailableError> {
  const error = await failure(promise);
  if (!(error instanceof ExportUnavailableError)) throw new Error(`expected ExportUnavailableError, got ${String(error)}`);
  expect(error.code).toBe("EXPORT_UNAVAILABLE");
  expect(error.reason).toBe(reason);
  return error;
}

async function tooLarge(promise: Promise<unknown>): Promise<ExportTooLargeError> {
  const error = await failure(promise);
  if (!(error instanceof ExportTooLargeError)) throw new Error(`expected ExportTooLargeError, got ${String(error)}`);
  expect(error.code).toBe("EXPORT_TOO_LARGE");
  return error;
}

describe("ExportDownloader", () => {
  it("downloads an allowed URL to a temporary file, and removes it on dispose", async () => {
    const file = await downloader().download(`${storage.origin}/file.xlsx?${SECRET}`);
    expect(file.bytes).toBe(FILE.length);
    expect(await readFile(file.path)).toEqual(FILE);
    await file.dispose();
    expect(await readdir(temp)).toEqual([]);
  });

  it("refuses what the download policy refuses, without a request", async () => {
    const before = elsewhere.hits.length;
    const error = await unavailable(downloader().download(`${elsewhere.origin}/file.xlsx?${SECRET}`), "host-not-allowed");
    expect(error.host).toBe("127.0.0.1");
    await unavailable(downloader().download(`ftp://127.0.0.1/x?${SECRET}`), "host-not-allowed");
    expect(elsewhere.hits.length).toBe(before);
  });

  it("follows a redirect within the origin, never to another", async () => {
    const file = await downloader().download(`${storage.origin}/same-origin?${SECRET}`);
    expect(file.bytes).toBe(FILE.length);
    await file.dispose();
    // Even to an origin the policy allows: a redirect may not leave the origin it started from.
    const before = elsewhere.hits.length;
    await unavailable(downloader({ origins: [storage.origin, elsewhere.origin] }).download(`${storage.origin}/other-origin?${SECRET}`), "host-not-allowed");
    expect(elsewhere.hits.length).toBe(before);
    await unavailable(downloader().download(`${storage.origin}/loop`), "fetch-failed");
  });

  it("never connects to a private address a name resolves to, unless the origin is configured", async () => {
    const refusing = downloader({ origins: [], suffixes: [".example.test"] });
    const error = await unavailable(refusing.download(`https://bucket.files.example.test/billing_data/1.xlsx?${SECRET}`), "host-not-allowed");
    expect(error.host).toBe("bucket.files.example.test");
    if (canary) expect(canaryConnections).toBe(0);

    // Configured explicitly, a private address is the operator's choice: by address or by name.
    const port = new URL(privateStorage.origin).port;
    for (const origin of [privateStorage.origin, `http://files.internal.test:${port}`]) {
      const file = await downloader({ origins: [origin] }).download(`${origin}/x.xlsx?${SECRET}`);
      expect(file.bytes).toBe(FILE.length);
      await file.dispose();
    }
  });

  it("a 403 from storage is an expired link; other statuses and dead hosts are fetch failures", async () => {
    await unavailable(downloader().download(`${storage.origin}/expired.xlsx?${SECRET}`), "expired");
    await unavailable(downloader().download(`${storage.origin}/missing.xlsx?${SECRET}`), "fetch-failed");
    const dead = "http://127.0.0.1:9";
    await unavailable(downloader({ origins: [dead] }).download(`${dead}/x.xlsx?${SECRET}`), "fetch-failed");
  });

  it("stops at the byte cap, declared or counted", async () => {
    const capped = downloader({ maxBytes: FILE.length * 2 });
    expect((await tooLarge(capped.download(`${storage.origin}/declared-huge?${SECRET}`))).limitBytes).toBe(FILE.length * 2);
    expect((await tooLarge(capped.download(`${storage.origin}/chunked?${SECRET}`))).limitBytes).toBe(FILE.length * 2);
  });

  it("gives up at the deadline", async () => {
    const started = Date.now();
    const error = await unavailable(downloader({ timeoutMs: 200 }).download(`${storage.origin}/stall?${SECRET}`), "fetch-failed");
    expect(error.message).toContain("within 200 ms");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("an expired link is refreshed from the task list once", async () => {
    let refreshes = 0;
    const file = await downloadWithRefresh(downloader(), {
      url: `${storage.origin}/expired.xlsx?${SECRET}`,
      refreshUrl: () => {
        refreshes += 1;
        return Promise.resolve(`${storage.origin}/file.xlsx?${SECRET}`);
      },
    });
    expect(refreshes).toBe(1);
    expect(file.bytes).toBe(FILE.length);
    await file.dispose();

    refreshes = 0;
    const stillExpired = downloadWithRefresh(downloader(), {
      url: `${storage.origin}/expired.xlsx?${SECRET}`,
      refreshUrl: () => {
        refreshes += 1;
        return Promise.resolve(`${storage.origin}/expired.xlsx?${SECRET}&again`);
      },
    });
    await unavailable(stillExpired, "expired");
    expect(refreshes).toBe(1);
    await unavailable(downloadWithRefresh(downloader(), { url: `${storage.origin}/expired.xlsx`, refreshUrl: () => Promise.resolve(null) }), "expired");
  });
});

describe("isPublicAddress", () => {
  it.each([
    ["8.8.8.8", true],
    ["2001:4860:4860::8888", true],
    ["64:ff9b::808:808", true],
    ["127.0.0.2", false],
    ["10.1.2.3", false],
    ["172.16.0.1", false],
    ["192.168.1.1", false],
    ["169.254.169.254", false],
    ["100.64.0.1", false],
    ["0.0.0.0", false],
    ["::1", false],
    ["[::1]", false],
    ["fe80::1%eth0", false],
    ["fd00::1", false],
    ["::ffff:127.0.0.1", false],
    ["64:ff9b::a00:1", false],
    ["not an address", false],
  ])("%s → %s", (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});
