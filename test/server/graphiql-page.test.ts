import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

/** Any reference to a public script CDN would render a blank page offline. */
const CDN_HOSTS = /unpkg\.com|jsdelivr|cdnjs|esm\.sh|skypack|googleapis|fonts\.gstatic|graphql-yoga\.com\/graphiql/i;

describe("GraphiQL page", () => {
  let h: ServerHarness;
  beforeAll(async () => {
    h = await startServerHarness();
  });
  afterAll(() => h.close());

  it("is served from the gateway itself, with no external script, style or font URL", async () => {
    const res = await fetch(h.url, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain("YogaGraphiQL.renderYogaGraphiQL");
    expect(html).not.toMatch(CDN_HOSTS);
    // Every <script>, <link> and @import is inline or same-origin.
    expect(html).not.toMatch(/<script[^>]*\ssrc\s*=/i);
    const links = [...html.matchAll(/<link[^>]*\shref\s*=\s*"([^"]*)"/gi)].map((m) => m[1] ?? "");
    expect(links.filter((href) => /^(https?:)?\/\//i.test(href))).toEqual([]);
    expect(html).not.toMatch(/@import\s+(url\()?["']?https?:/i);
  });

  it("opens with the tasks query in the editor", async () => {
    const html = await (await fetch(h.url, { headers: { accept: "text/html" } })).text();
    expect(html).toContain("tasks(first: 20)");
    expect(html).toContain("pageInfo");
  });

  it("sends CSRF prevention's header on its own requests (its SSE subscriptions are GETs)", async () => {
    const html = await (await fetch(h.url, { headers: { accept: "text/html" } })).text();
    expect(html).toContain('"additionalHeaders":{"x-graphql-yoga-csrf":"graphiql"}');
  });

  it("is off with GRAPHIQL=off (a browser GET gets no page)", async () => {
    const off = await startServerHarness({ env: { GRAPHIQL: "off" } });
    try {
      const res = await fetch(off.url, { headers: { accept: "text/html" } });
      expect(await res.text()).not.toContain("YogaGraphiQL");
    } finally {
      await off.close();
    }
  });
});
