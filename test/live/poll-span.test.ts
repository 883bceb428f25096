/**
 * The span links one replica shares with the others for a task (poll-span.ts): one hash entry per
 * replica, `<expiresAtMs> <traceparent> …`; the poller reads every other replica's live entry,
 * skips what does not parse, and keeps the poll span to 32 links.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { SpanContext } from "../../src/observability/spans.js";
import { linkEntry, MAX_LINKS, readLinkEntries } from "../../src/live/poll-span.js";

const context = (): SpanContext => ({ traceId: randomBytes(16).toString("hex"), spanId: randomBytes(8).toString("hex"), traceFlags: 1 });
const NOW = 1_700_000_000_000;

describe("shared span links", () => {
  it("an entry holds its expiry and at most 32 traceparents, and reads back as remote contexts", () => {
    const links = Array.from({ length: 40 }, context);
    const entry = linkEntry(links, NOW + 15_000);
    expect(entry.split(" ")).toHaveLength(1 + MAX_LINKS);
    expect(entry.startsWith(`${NOW + 15_000} 00-${links[0]!.traceId}-${links[0]!.spanId}-01 `)).toBe(true);
    const read = readLinkEntries({ other: entry }, "me", NOW);
    expect(read).toEqual(links.slice(0, MAX_LINKS).map((link) => ({ ...link, isRemote: true })));
  });

  it("skips this replica's own entry, expired entries and entries without an expiry", () => {
    const [mine, live, dead, undated] = [context(), context(), context(), context()];
    const read = readLinkEntries(
      {
        me: linkEntry([mine], NOW + 1_000),
        live: linkEntry([live], NOW + 1_000),
        dead: linkEntry([dead], NOW),
        undated: linkEntry([undated], NOW + 1_000).split(" ").slice(1).join(" "),
        junk: "tomorrow 00-x",
      },
      "me",
      NOW,
    );
    expect(read.map((link) => link.spanId)).toEqual([live.spanId]);
  });

  it("keeps the valid traceparents of an entry with malformed ones, and 32 links over all replicas", () => {
    const good = context();
    const mixed = `${NOW + 1_000} garbage 00-${good.traceId}-${good.spanId}-01 00-${good.traceId}-${good.spanId}-zz`;
    expect(readLinkEntries({ mixed }, "me", NOW)).toEqual([{ ...good, isRemote: true }]);
    const many = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`replica-${i}`, linkEntry(Array.from({ length: 20 }, context), NOW + 1_000)]));
    expect(readLinkEntries(many, "me", NOW)).toHaveLength(MAX_LINKS);
  });
});
