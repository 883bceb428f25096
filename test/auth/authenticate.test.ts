import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { GraphQLError } from "graphql";
import { createSchema, createYoga } from "graphql-yoga";
import { describe, expect, it } from "vitest";
import { createApiKeyRing } from "../../src/auth/api-keys.js";
import { createAuthenticator, type AuthResult } from "../../src/auth/authenticate.js";
import { createJwtVerifier, type JwtVerifier } from "../../src/auth/jwt.js";
import { useAuthentication, type AuthenticatedContext } from "../../src/auth/plugin.js";
import type { AuthFailureReason } from "../../src/auth/authenticate.js";

const KEY = "dash-3f9c2b7e41d0a8c6";
const apiKeys = createApiKeyRing([{ name: "dashboard", key: KEY, scopes: ["export:read"] }]);

function bearer(token: string): Headers {
  return new Headers({ authorization: `Bearer ${token}` });
}

function refusal(result: AuthResult): GraphQLError {
  if (result.ok) throw new Error("expected a refusal");
  return result.error;
}

/** A JWT verifier with an in-memory JWKS (the loopback JWKS server is exercised in jwt.test.ts). */
async function jwtSetup(): Promise<{ jwt: JwtVerifier; sign: (sub: string) => Promise<string> }> {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }] };
  const jwt = createJwtVerifier({
    jwksUrl: "https://idp.invalid/jwks.json",
    issuer: "https://idp.invalid/",
    audience: "gw",
    fetch: () => Promise.resolve(Response.json(jwks)),
  });
  const sign = (sub: string) =>
    new SignJWT({ scope: "export:create" })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer("https://idp.invalid/")
      .setAudience("gw")
      .setSubject(sub)
      .setExpirationTime("5m")
      .sign(privateKey);
  return { jwt, sign };
}

describe("createAuthenticator", () => {
  it("mode off: everyone is 'anonymous' with every scope, credentials or not", async () => {
    const authenticate = createAuthenticator({ mode: "off" });
    for (const headers of [new Headers(), bearer("junk")]) {
      const result = await authenticate(headers);
      expect(result.ok && result.principal.name).toBe("anonymous");
      expect(result.ok && [...result.principal.scopes].sort()).toEqual(["export:create", "export:delete", "export:read"]);
    }
  });

  it("required: refuses missing, non-Bearer and wrong credentials with a 401 UNAUTHENTICATED that reveals nothing", async () => {
    const authenticate = createAuthenticator({ mode: "required", apiKeys });
    const cases: [Headers | Record<string, string | string[]>, AuthFailureReason][] = [
      [new Headers(), "missing"],
      [new Headers({ authorization: `Basic ${Buffer.from(`u:${KEY}`).toString("base64")}` }), "malformed"],
      [new Headers({ authorization: "Bearer" }), "malformed"],
      [{ authorization: [`Bearer ${KEY}`, `Bearer ${KEY}`] }, "malformed"],
      [bearer("dash-3f9c2b7e41d0a8c7"), "invalid"],
    ];
    for (const [headers, reason] of cases) {
      const result = await authenticate(headers);
      expect(result.ok ? null : result.reason).toBe(reason);
      const error = refusal(result);
      expect(error.extensions).toEqual({
        code: "UNAUTHENTICATED",
        http: { status: 401, headers: { "WWW-Authenticate": "Bearer" } },
      });
      expect(error.message).not.toContain("dash-");
    }
  });

  it("accepts an API key (case-insensitive scheme, node header objects too)", async () => {
    const authenticate = createAuthenticator({ mode: "required", apiKeys });
    for (const headers of [bearer(KEY), new Headers({ authorization: `bearer   ${KEY}` }), { authorization: `Bearer ${KEY}` }]) {
      const result = await authenticate(headers);
      expect(result.ok && result.principal.name).toBe("dashboard");
    }
  });

  it("tries the API key first, then the JWT", async () => {
    const { jwt, sign } = await jwtSetup();
    const authenticate = createAuthenticator({ mode: "required", apiKeys, jwt });
    const byKey = await authenticate(bearer(KEY));
    expect(byKey.ok && byKey.principal.name).toBe("dashboard");
    const byJwt = await authenticate(bearer(await sign("svc-reporting")));
    expect(byJwt.ok && byJwt.principal.name).toBe("svc-reporting");
    expect(byJwt.ok && [...byJwt.principal.scopes]).toEqual(["export:create"]);
    expect((await authenticate(bearer("a.b.c"))).ok).toBe(false);
    // JWT alone works too.
    const jwtOnly = createAuthenticator({ mode: "required", jwt });
    expect((await jwtOnly(bearer(await sign("x")))).ok).toBe(true);
    expect((await jwtOnly(bearer(KEY))).ok).toBe(false);
  });

  it("an API key and a JWT subject with the same name are different principals (kind-qualified ids)", async () => {
    const { jwt, sign } = await jwtSetup();
    const authenticate = createAuthenticator({ mode: "required", apiKeys, jwt });
    const byKey = await authenticate(bearer(KEY));
    const byJwt = await authenticate(bearer(await sign("dashboard")));
    if (!byKey.ok || !byJwt.ok) throw new Error("both credentials should authenticate");
    expect([byKey.principal.name, byJwt.principal.name]).toEqual(["dashboard", "dashboard"]);
    expect(byKey.principal.id).toBe("apikey:dashboard");
    expect(byJwt.principal.id).toBe("jwt:dashboard");
    const anonymous = await createAuthenticator({ mode: "off" })(new Headers());
    expect(anonymous.ok && anonymous.principal.id).toBe("anonymous:anonymous");
  });

  it("refuses to build 'required' with no way to authenticate", () => {
    expect(() => createAuthenticator({ mode: "required" })).toThrow(/API keys|JWKS/);
    expect(() => createAuthenticator({ mode: "required", apiKeys: createApiKeyRing([]) })).toThrow();
  });
});

describe("useAuthentication (yoga plugin)", () => {
  function gateway() {
    let executions = 0;
    const failures: AuthFailureReason[] = [];
    const yoga = createYoga({
      schema: createSchema<AuthenticatedContext>({
        typeDefs: "type Query { whoami: String! scopes: [String!]! }",
        resolvers: {
          Query: {
            whoami: (_root: unknown, _args: unknown, context: AuthenticatedContext) => {
              executions += 1;
              return context.principal.name;
            },
            scopes: (_root: unknown, _args: unknown, context: AuthenticatedContext) => [...context.principal.scopes],
          },
        },
      }),
      plugins: [
        useAuthentication({
          authenticate: createAuthenticator({ mode: "required", apiKeys }),
          onFailure: ({ reason }) => failures.push(reason),
        }),
      ],
      logging: false,
    });
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      yoga.fetch("http://gateway.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    return { post, failures, executions: () => executions };
  }

  it("answers 401 + WWW-Authenticate before anything runs", async () => {
    const { post, failures, executions } = gateway();
    const response = await post({ query: "{ whoami }" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    const body = (await response.json()) as { errors: { message: string; extensions: Record<string, unknown> }[]; data?: unknown };
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(executions()).toBe(0);
    expect(failures).toEqual(["missing"]);
  });

  it("says nothing about the schema to an unauthenticated caller (no validation errors, no introspection)", async () => {
    const { post } = gateway();
    for (const query of ["{ whoamy }", "{ __schema { types { name } } }", "{"]) {
      const response = await post({ query }, { authorization: "Bearer wrong" });
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(text).not.toMatch(/whoami|Did you mean|__schema|Syntax Error/);
    }
  });

  it("puts the principal into the context for an authenticated request", async () => {
    const { post, failures } = gateway();
    const response = await post({ query: "{ whoami scopes }" }, { authorization: `Bearer ${KEY}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { whoami: "dashboard", scopes: ["export:read"] } });
    expect(failures).toEqual([]);
  });
});
