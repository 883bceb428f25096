/**
 * GraphiQL in a real headless Chromium (Debian's /usr/bin/chromium through playwright-core):
 * the page loads with every non-loopback request blocked (so it works offline), the default
 * query runs, and the emulator's task ids show up in the result pane; `exportTaskUpdated` runs
 * as the README says (GraphiQL's SSE transport passes CSRF prevention) and shows the task's
 * updates as they come.
 *
 * Without Chromium the test is skipped with a reason, unless REQUIRE_CHROMIUM=1 (CI), where a
 * missing browser is a failure.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const required = process.env.REQUIRE_CHROMIUM === "1";
const SCREENSHOT = "/tmp/graphiql-e2e.png";
const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("Chromium availability", () => {
  it.runIf(required)("REQUIRE_CHROMIUM=1: the browser must be installed", () => {
    expect(hasChromium, `${CHROMIUM} is missing (apt-get install chromium)`).toBe(true);
  });
});

/** Monaco renders spaces as U+00A0; compare on plain spaces. */
function plain(text: string): string {
  return text.replace(/\u00a0/g, " ");
}

describe.skipIf(!hasChromium)(hasChromium ? "GraphiQL in headless Chromium" : `GraphiQL in headless Chromium — skipped: no browser at ${CHROMIUM}`, () => {
  let h: ServerHarness;
  let browser: Browser;
  beforeAll(async () => {
    // A created task stays CREATED for 3 s: the pane shows CREATED first, then SUCCESS.
    h = await startServerHarness({ env: { LOG_LEVEL: "info", EMULATOR_TASK_SECONDS: "3" } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** A page that may only talk to the gateway (anything else is recorded and aborted). */
  async function openOffline(url: string): Promise<{ page: Page; external: string[]; pageErrors: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const external: string[] = [];
    const origin = new URL(h.url).origin;
    await page.route("**/*", (route) => {
      const target = route.request().url();
      if (target.startsWith(origin) || target.startsWith("data:") || target.startsWith("blob:")) return route.continue();
      external.push(target);
      return route.abort();
    });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(url, { waitUntil: "load", timeout: 60_000 });
    return { page, external, pageErrors, close: () => context.close() };
  }

  it("runs exportTaskUpdated for a task created through the API and shows its updates", { timeout: 120_000 }, async () => {
    const now = Date.now();
    const created = await postGraphQL(h.url, "mutation($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }", {
      variables: { i: { type: "FLOW", startTime: iso(now - 3 * DAY), endTime: iso(now - 2 * DAY) } },
    });
    expect(created.body.errors).toBeUndefined();
    const taskId = (created.body.data as { createUsageExport: { taskId: string } }).createUsageExport.taskId;

    const subscription = `subscription Watch {\n  exportTaskUpdated(kind: USAGE_DETAIL, taskId: "${taskId}") { taskId status }\n}`;
    const { page, external, pageErrors, close } = await openOffline(`${h.url}?query=${encodeURIComponent(subscription)}`);
    const run = page.locator(".graphiql-execute-button");
    await run.waitFor({ state: "visible", timeout: 60_000 });
    await expect.poll(async () => plain(await page.locator(".graphiql-query-editor").innerText()), { timeout: 30_000 }).toContain("exportTaskUpdated");

    await run.click();
    const response = page.locator(".graphiql-response");
    // GraphiQL shows the latest event of a stream: the task as first read, then its change.
    await expect.poll(async () => plain(await response.innerText()), { timeout: 60_000 }).toContain(`"taskId": "${taskId}"`);
    await expect.poll(async () => plain(await response.innerText()), { timeout: 60_000 }).toContain('"status": "SUCCESS"');
    const text = plain(await response.innerText());
    expect(text).not.toContain('"errors"');
    expect(text).not.toContain("cross-site");

    // The stream really was a subscription, logged as one when it ended.
    await expect
      .poll(() => h.logs.records().some((r) => r["msg"] === "graphql operation" && r["operationName"] === "Watch" && r["operationType"] === "subscription"), { timeout: 10_000 })
      .toBe(true);
    expect(external, "requests that left the machine").toEqual([]);
    expect(pageErrors).toEqual([]);
    await close();
  });

  it("loads offline, runs the default query and shows the emulator's tasks", { timeout: 120_000 }, async () => {
    const expected = await postGraphQL(h.url, "{ tasks(first: 20) { edges { node { taskId } } } }");
    const ids = (expected.body.data as { tasks: { edges: Array<{ node: { taskId: string } }> } }).tasks.edges.map((e) => e.node.taskId);
    expect(ids.length).toBeGreaterThan(0);

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const external: string[] = [];
    const origin = new URL(h.url).origin;
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
      external.push(url);
      return route.abort();
    });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));

    await page.goto(h.url, { waitUntil: "load", timeout: 60_000 });
    const run = page.locator(".graphiql-execute-button");
    await run.waitFor({ state: "visible", timeout: 60_000 });
    // The default query is in the editor.
    await expect.poll(async () => plain(await page.locator(".graphiql-query-editor").innerText()), { timeout: 30_000 }).toContain("tasks(first: 20)");

    await run.click();
    const response = page.locator(".graphiql-response");
    await expect.poll(async () => plain(await response.innerText()), { timeout: 60_000 }).toContain(`"taskId": "${ids[0]}"`);
    const text = plain(await response.innerText());
    expect(text).toContain("totalCount");
    expect(text).not.toContain('"errors"');

    await page.screenshot({ path: SCREENSHOT, fullPage: false });
    expect(external, "requests that left the machine").toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
