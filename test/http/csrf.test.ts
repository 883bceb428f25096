/**
 * CSRF prevention (yoga's plugin, src/http/csrf.ts): what passes and what is refused, and the
 * refusal's shape. The whole gateway's answers are in test/http/http-hardening.test.ts.
 */
import { describe, expect, it } from "vitest";
import { createSchema, createYoga } from "graphql-yoga";
import { CSRF_HEADERS, useCsrfPrevention } from "../../src/http/csrf.js";

const yoga = createYoga({
  schema: createSchema({ typeDefs: "type Query { ok: Boolean! }", resolvers: { Query: { ok: () => true } } }),
  logging: false,
  graphiql: false,
  cors: { origin: "*" },
  plugins: [useCsrfPrevention()],
});
const URL_GET = "http://gateway.test/graphql?query=%7B%20ok%20%7D";

async function call(init: RequestInit & { url?: string }): Promise<{ status: number; body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } }> {
  const response = await yoga.fetch(init.url ?? URL_GET, init);
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : (JSON.parse(text) as never) };
}

describe("CSRF prevention", () => {
  it("a bare GET is refused: 400, BAD_REQUEST, naming the header to add", async () => {
    const refused = await call({ headers: { accept: "application/json" } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
    expect(refused.body.errors?.[0]?.message).toContain("x-graphql-yoga-csrf");
    expect(refused.body.data).toBeUndefined();
  });

  it.each(CSRF_HEADERS)("a GET with %s runs", async (header) => {
    const allowed = await call({ headers: { accept: "application/json", [header]: "1" } });
    expect(allowed).toEqual({ status: 200, body: { data: { ok: true } } });
  });

  it("an EventSource GET (a subscription, accept: text/event-stream) is refused too: GraphiQL sends the header itself", async () => {
    const refused = await yoga.fetch("http://gateway.test/graphql?query=subscription%20%7B%20ok%20%7D", { headers: { accept: "text/event-stream" } });
    const text = await refused.text();
    // Answered in the stream's own format: one error event, and nothing ran.
    expect(text).toContain('"code":"BAD_REQUEST"');
    expect(text).toContain("x-graphql-yoga-csrf");
    expect(text).not.toContain('"data"');
  });

  it("the headers are the ones GraphQL clients send", () => {
    expect(CSRF_HEADERS).toEqual(expect.arrayContaining(["x-graphql-yoga-csrf", "graphql-require-preflight", "apollo-require-preflight"]));
  });

  it.each(["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", "TEXT/PLAIN; charset=utf-8"])(
    "a %s POST (what an HTML form can send cross-site) is refused",
    async (contentType) => {
      const refused = await call({ url: "http://gateway.test/graphql", method: "POST", headers: { "content-type": contentType }, body: "query=%7B%20ok%20%7D" });
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
    },
  );

  it("a JSON POST passes without any header", async () => {
    const allowed = await call({ url: "http://gateway.test/graphql", method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ ok }" }) });
    expect(allowed).toEqual({ status: 200, body: { data: { ok: true } } });
  });

  it("a CORS preflight is not refused", async () => {
    const response = await yoga.fetch("http://gateway.test/graphql", {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get("access-control-allow-origin")).not.toBeNull();
  });
});
