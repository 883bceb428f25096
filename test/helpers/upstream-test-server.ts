/**
 * A scriptable stand-in for the CDN export API on 127.0.0.1 (port 0) that checks every request
 * the way the real one does: V3 (ACS3-HMAC-SHA256) or V1 (HMAC-SHA1) signature recomputed with
 * the signing module, STS token, empty-body hash, API version, timestamp window and nonce reuse.
 * A request that fails a check is answered `SignatureDoesNotMatch`-style and recorded with
 * `verified: false`; the rest go to the test's handler, which scripts the answer (JSON, raw
 * text, hang, half a body, dropped connection).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { parseAuthorizationV3, sha256Hex, signRequestV1, signRequestV3 } from "../../src/upstream/signing/index.js";

export interface TestCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface UpstreamHit {
  action: string;
  /** The operation's own parameters (signing parameters of V1 removed). */
  params: Record<string, string>;
  signatureVersion: "v3" | "v1" | "none";
  verified: boolean;
  /** Why verification failed. */
  problem?: string;
  method: string;
  path: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  bodyLength: number;
  nonce: string | undefined;
  /** x-acs-date (V3) or Timestamp (V1). */
  date: string | undefined;
}

export type Reply =
  | { kind: "json"; status?: number; body: unknown; headers?: Record<string, string> }
  | { kind: "raw"; status?: number; body: string; headers?: Record<string, string> }
  /** Never answers (until the server closes). */
  | { kind: "hang" }
  /** Sends headers and a first chunk, then nothing more. */
  | { kind: "hang-body"; status?: number }
  /** Destroys the connection without an answer. */
  | { kind: "drop" };

export type Handler = (hit: UpstreamHit) => Reply | Promise<Reply>;

export interface UpstreamTestServerOptions {
  credentials: readonly TestCredential[];
  handler?: Handler;
  /** Server clock for the 15-minute timestamp window. Default Date.now. */
  now?: () => number;
}

export interface UpstreamTestServer {
  readonly url: string;
  readonly hits: UpstreamHit[];
  handler: Handler;
  /** Connections open right now. */
  openConnections(): number;
  /** Connections accepted since start. */
  totalConnections(): number;
  close(): Promise<void>;
}

export const json = (body: unknown, status = 200, headers?: Record<string, string>): Reply => ({
  kind: "json",
  body,
  status,
  ...(headers === undefined ? {} : { headers }),
});

export const upstreamError = (
  code: string,
  message: string,
  status: number,
  headers?: Record<string, string>,
): Reply =>
  json(
    { RequestId: `req-${code}`, HostId: "cdn.aliyuncs.com", Code: code, Message: message, Recommend: "https://api.aliyun.com/troubleshoot" },
    status,
    headers,
  );

/** Answers with each reply in turn, then repeats the last one. */
export function sequence(...replies: Reply[]): Handler {
  let next = 0;
  return () => {
    const reply = replies[Math.min(next, replies.length - 1)];
    next += 1;
    if (reply === undefined) throw new Error("sequence() needs at least one reply");
    return reply;
  };
}

const V1_SIGNING_PARAMS = new Set([
  "Action",
  "Format",
  "Version",
  "AccessKeyId",
  "SignatureMethod",
  "SignatureVersion",
  "SignatureNonce",
  "Timestamp",
  "SecurityToken",
  "Signature",
]);
const V3_REQUIRED_SIGNED = ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"];
const ACS_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const MAX_SKEW_MS = 15 * 60 * 1000;

export async function startUpstreamTestServer(options: UpstreamTestServerOptions): Promise<UpstreamTestServer> {
  const credentials = new Map(options.credentials.map((c) => [c.accessKeyId, c]));
  const now = options.now ?? Date.now;
  const seenNonces = new Set<string>();
  const hits: UpstreamHit[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const state = { handler: options.handler ?? (() => json({ RequestId: "default" })) };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void respond(req, res, Buffer.concat(chunks));
    });
  });
  server.on("connection", (socket: Socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function respond(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const hit = verify(req, body);
    hits.push(hit);
    if (!hit.verified) {
      const code = hit.problem?.startsWith("nonce") ? "SignatureNonceUsed" : "SignatureDoesNotMatch";
      send(res, upstreamError(code, `test server: ${hit.problem ?? "bad signature"}`, 400));
      return;
    }
    try {
      send(res, await state.handler(hit));
    } catch (error) {
      send(res, upstreamError("InternalError", `test handler failed: ${String(error)}`, 500));
    }
  }

  function verify(req: IncomingMessage, body: Buffer): UpstreamHit {
    const [path = "", rawQuery = ""] = (req.url ?? "").split("?", 2);
    const query = parseQuery(rawQuery);
    const isV1 = query.Signature !== undefined;
    const hit: UpstreamHit = {
      action: (isV1 ? query.Action : header(req.headers, "x-acs-action")) ?? "",
      params: isV1 ? withoutSigningParams(query) : query,
      signatureVersion: isV1 ? "v1" : req.headers.authorization ? "v3" : "none",
      verified: false,
      method: req.method ?? "",
      path,
      rawQuery,
      headers: req.headers,
      bodyLength: body.length,
      nonce: isV1 ? query.SignatureNonce : header(req.headers, "x-acs-signature-nonce"),
      date: isV1 ? query.Timestamp : header(req.headers, "x-acs-date"),
    };
    const problem = isV1 ? checkV1(req, query) : checkV3(req, query, body);
    const common = problem ?? checkCommon(hit);
    if (common === undefined) hit.verified = true;
    else hit.problem = common;
    return hit;
  }

  function checkCommon(hit: UpstreamHit): string | undefined {
    if (hit.method !== "POST" || hit.path !== "/") return `expected POST /, got ${hit.method} ${hit.path}`;
    if (hit.bodyLength !== 0) return "expected an empty body";
    if (!hit.date || !ACS_DATE.test(hit.date)) return "timestamp not yyyy-MM-ddTHH:mm:ssZ";
    if (Math.abs(Date.parse(hit.date) - now()) > MAX_SKEW_MS) return "timestamp outside the 15-minute window";
    if (!hit.nonce) return "missing nonce";
    if (seenNonces.has(hit.nonce)) return "nonce reused";
    seenNonces.add(hit.nonce);
    return undefined;
  }

  function checkV3(req: IncomingMessage, query: Record<string, string>, body: Buffer): string | undefined {
    const auth = parseAuthorizationV3(header(req.headers, "authorization") ?? "");
    if (!auth) return "missing or incomplete ACS3 Authorization";
    const credential = credentials.get(auth.accessKeyId);
    if (!credential) return "unknown AccessKeyId";
    for (const name of V3_REQUIRED_SIGNED) if (!auth.signedHeaders.includes(name)) return `${name} not signed`;
    if (header(req.headers, "x-acs-version") !== "2018-05-10") return "wrong x-acs-version";
    const payloadHash = header(req.headers, "x-acs-content-sha256") ?? "";
    if (payloadHash !== sha256Hex(body)) return "x-acs-content-sha256 does not match the body";
    const token = header(req.headers, "x-acs-security-token");
    if (token !== credential.securityToken) return "security token mismatch";
    if (credential.securityToken !== undefined && !auth.signedHeaders.includes("x-acs-security-token")) {
      return "x-acs-security-token not signed";
    }
    const headers: Record<string, string> = {};
    for (const name of auth.signedHeaders) headers[name] = header(req.headers, name) ?? "";
    const expected = signRequestV3(
      { method: req.method ?? "", query, headers, payloadHash },
      credential.accessKeyId,
      credential.accessKeySecret,
    );
    return expected.signature === auth.signature ? undefined : "V3 signature does not match";
  }

  function checkV1(req: IncomingMessage, query: Record<string, string>): string | undefined {
    const credential = credentials.get(query.AccessKeyId ?? "");
    if (!credential) return "unknown AccessKeyId";
    if (query.SignatureMethod !== "HMAC-SHA1" || query.SignatureVersion !== "1.0") return "wrong V1 method/version";
    if (query.Format !== "JSON" || query.Version !== "2018-05-10") return "wrong Format or Version";
    if (query.SecurityToken !== credential.securityToken) return "security token mismatch";
    const expected = signRequestV1(req.method ?? "", query, credential.accessKeySecret);
    return expected === query.Signature ? undefined : "V1 signature does not match";
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    get handler() {
      return state.handler;
    },
    set handler(handler: Handler) {
      state.handler = handler;
    },
    openConnections: () => sockets.size,
    totalConnections: () => accepted,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, reply: Reply): void {
  switch (reply.kind) {
    case "json":
    case "raw": {
      const text = reply.kind === "json" ? JSON.stringify(reply.body) : reply.body;
      res.writeHead(reply.status ?? 200, {
        "content-type": reply.kind === "json" ? "application/json;charset=utf-8" : "text/plain",
        "content-length": Buffer.byteLength(text),
        ...reply.headers,
      });
      res.end(text);
      return;
    }
    case "hang":
      return;
    case "hang-body":
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", "content-length": 1000 });
      res.write('{"RequestId":');
      return;
    case "drop":
      res.socket?.destroy();
      return;
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Strict RFC 3986 decoding: `+` stays a plus (the signer never sends it for a space). */
function parseQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === "") return out;
  for (const pair of raw.split("&")) {
    const eq = pair.indexOf("=");
    const name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    out[name] = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1));
  }
  return out;
}

function withoutSigningParams(query: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter(([name]) => !V1_SIGNING_PARAMS.has(name)));
}
