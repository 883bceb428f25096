import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJwtVerifier, type JwtVerifier } from "../../src/auth/jwt.js";

const ISSUER = "https://idp.test/";
const AUDIENCE = "cdn-export-gateway";

interface SigningKey {
  kid: string;
  alg: "RS256" | "ES256";
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: "RS256" | "ES256"): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

describe("JWT verifier against a real JWKS endpoint", () => {
  let server: Server;
  let jwksUrl: string;
  let jwksRequests = 0;
  let rsa: SigningKey;
  let ec: SigningKey;
  let stranger: SigningKey;
  let verifier: JwtVerifier;
  const rejections: string[] = [];

  const token = (key: SigningKey, claims: Record<string, unknown> = {}, edit?: (jwt: SignJWT) => SignJWT): Promise<string> => {
    let jwt = new SignJWT({ scope: "export:read export:create", ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject("frontend-app")
      .setIssuedAt()
      .setExpirationTime("5m");
    if (edit) jwt = edit(jwt);
    return jwt.sign(key.privateKey);
  };

  beforeAll(async () => {
    [rsa, ec, stranger] = await Promise.all([signingKey("rsa-1", "RS256"), signingKey("ec-1", "ES256"), signingKey("unknown-kid", "RS256")]);
    server = createServer((_req, res) => {
      jwksRequests += 1;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no address");
    jwksUrl = `http://127.0.0.1:${address.port}/.well-known/jwks.json`;
    verifier = createJwtVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, onReject: (reason) => rejections.push(reason) });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("accepts a valid RS256 token: name from sub, scopes from a space-separated scope claim", async () => {
    const principal = await verifier.verify(await token(rsa));
    expect(principal?.name).toBe("frontend-app");
    expect([...(principal?.scopes ?? [])].sort()).toEqual(["export:create", "export:read"]);
  });

  it("accepts ES256 with an array scope claim; no scope claim means no scopes", async () => {
    const principal = await verifier.verify(await token(ec, { scope: ["export:delete", 7, ""] }));
    expect([...(principal?.scopes ?? [])]).toEqual(["export:delete"]);
    const bare = await verifier.verify(await token(ec, { scope: undefined }));
    expect(bare?.scopes.size).toBe(0);
  });

  it("refuses a wrong issuer, a wrong audience, an expired token and a token without exp", async () => {
    rejections.length = 0;
    expect(await verifier.verify(await token(rsa, {}, (j) => j.setIssuer("https://evil.test/")))).toBeNull();
    expect(await verifier.verify(await token(rsa, {}, (j) => j.setAudience("another-api")))).toBeNull();
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    expect(await verifier.verify(await token(rsa, {}, (j) => j.setIssuedAt(hourAgo - 60).setExpirationTime(hourAgo)))).toBeNull();
    const noExp = await new SignJWT({ scope: "export:read" })
      .setProtectedHeader({ alg: "RS256", kid: rsa.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject("x")
      .sign(rsa.privateKey);
    expect(await verifier.verify(noExp)).toBeNull();
    expect(rejections).toEqual(["ERR_JWT_CLAIM_VALIDATION_FAILED", "ERR_JWT_CLAIM_VALIDATION_FAILED", "ERR_JWT_EXPIRED", "ERR_JWT_CLAIM_VALIDATION_FAILED"]);
  });

  it("refuses alg none and HS256 (even keyed with the public JWK's bytes)", async () => {
    const payload = { iss: ISSUER, aud: AUDIENCE, sub: "mallory", scope: "export:delete", exp: Math.floor(Date.now() / 1000) + 300 };
    const unsigned = `${b64url({ alg: "none", kid: rsa.kid })}.${b64url(payload)}.`;
    expect(await verifier.verify(unsigned)).toBeNull();
    const unsignedWithJunk = `${b64url({ alg: "none", kid: rsa.kid })}.${b64url(payload)}.AAAA`;
    expect(await verifier.verify(unsignedWithJunk)).toBeNull();
    const hs = await new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256", kid: rsa.kid })
      .sign(new TextEncoder().encode(JSON.stringify(rsa.jwk)));
    expect(await verifier.verify(hs)).toBeNull();
  });

  it("refuses a token signed by an unknown key, and a forged token reusing a known kid", async () => {
    expect(await verifier.verify(await token(stranger))).toBeNull();
    expect(await verifier.verify(await token({ ...stranger, kid: rsa.kid }))).toBeNull();
  });

  it("does not refetch the JWKS for every unknown kid (cooldown)", async () => {
    const before = jwksRequests;
    for (let i = 0; i < 10; i += 1) expect(await verifier.verify(await token(stranger))).toBeNull();
    expect(jwksRequests - before).toBeLessThanOrEqual(1);
    // Valid tokens keep working from the cached set.
    expect(await verifier.verify(await token(rsa))).not.toBeNull();
  });

  it("refuses garbage without fetching anything", async () => {
    const fetched: string[] = [];
    const isolated = createJwtVerifier({
      jwksUrl,
      issuer: ISSUER,
      audience: AUDIENCE,
      fetch: (url, init) => {
        fetched.push(url);
        return fetch(url, init);
      },
    });
    for (const junk of ["", "not-a-jwt", "a.b", "a.b.c.d", "x".repeat(20_000)]) expect(await isolated.verify(junk)).toBeNull();
    expect(fetched).toEqual([]);
    expect(await isolated.verify(await token(rsa))).not.toBeNull();
    expect(fetched).toEqual([jwksUrl]);
  });

  it("refuses to be configured with none or a symmetric algorithm", () => {
    expect(() => createJwtVerifier({ jwksUrl, algorithms: ["HS256"] })).toThrow(/HS256/);
    expect(() => createJwtVerifier({ jwksUrl, algorithms: ["none"] })).toThrow(/none/);
    expect(() => createJwtVerifier({ jwksUrl, algorithms: [] })).toThrow();
  });

  it("honours a pinned algorithm list: an ES256 token is refused when only RS256 is allowed", async () => {
    const rsOnly = createJwtVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, algorithms: ["RS256"] });
    expect(await rsOnly.verify(await token(ec))).toBeNull();
    expect(await rsOnly.verify(await token(rsa))).not.toBeNull();
  });
});
