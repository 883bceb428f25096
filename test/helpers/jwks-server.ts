/**
 * A test identity provider on 127.0.0.1: serves a JWKS with one RS256 key and signs tokens with
 * it (or with a key it does not publish, for forged-signature cases).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";

export const TEST_ISSUER = "https://idp.test/";
export const TEST_AUDIENCE = "cdn-export-gateway";

export interface TokenOptions {
  subject?: string;
  scope?: string;
  issuer?: string;
  audience?: string;
  /** Expired ten minutes ago (beyond any clock tolerance). */
  expired?: boolean;
  /** Sign with a key the JWKS does not list (same kid): a bad signature. */
  forged?: boolean;
  /** `exp` as seconds since the epoch (instead of five minutes from now). */
  expiresAtSec?: number;
}

export interface TestIdentityProvider {
  jwksUrl: string;
  /** JWKS fetches so far. */
  readonly requests: number;
  token(options?: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startIdentityProvider(): Promise<TestIdentityProvider> {
  const kid = "test-rsa-1";
  const [published, stranger] = await Promise.all([generateKeyPair("RS256"), generateKeyPair("RS256")]);
  const jwk = { ...(await exportJWK(published.publicKey)), kid, alg: "RS256", use: "sig" };
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const sign = (key: CryptoKey, options: TokenOptions): Promise<string> =>
    new SignJWT(options.scope === undefined ? {} : { scope: options.scope })
      .setProtectedHeader({ alg: "RS256", kid })
      .setIssuer(options.issuer ?? TEST_ISSUER)
      .setAudience(options.audience ?? TEST_AUDIENCE)
      .setSubject(options.subject ?? "frontend-app")
      .setIssuedAt()
      .setExpirationTime(options.expired === true ? Math.floor(Date.now() / 1000) - 600 : (options.expiresAtSec ?? "5m"))
      .sign(key);

  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    token: (options = {}) => sign(options.forged === true ? stranger.privateKey : published.privateKey, options),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
