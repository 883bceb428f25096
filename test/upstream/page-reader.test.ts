/**
 * The fast page reader (readTaskPage) against the zod schema it stands in for: over many
 * mutations of a valid page, it must either give exactly the schema's page or step aside, and
 * it must never accept a body the schema rejects. parseTaskPage must give the schema's verdict.
 */
import { describe, expect, it } from "vitest";
import { UpstreamMalformedError } from "../../src/upstream/errors.js";
import { parseTaskPage, parseTaskPageWithSchema, readTaskPage } from "../../src/upstream/response-schemas.js";
import type { TaskPage } from "../../src/upstream/types.js";
import { seededRandom } from "../../src/emulator/prng.js";

const ACTION = "DescribeUserUsageDetailDataExportTask";
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

function validPage(): Json {
  return {
    RequestId: "E1072085-E4E8-4D29",
    UsageDataPerPage: {
      PageNumber: 3,
      PageSize: "50",
      TotalCount: 10000,
      Data: {
        DataItem: [
          {
            TaskId: "10010017",
            TaskName: "Traffic audit",
            Status: "success",
            CreateTime: "2026-11-22T01:44:55Z",
            UpdateTime: "2026-11-22T01:45:58Z",
            DownloadUrl: "http://127.0.0.1/downloads/a.xlsx",
            TaskConfig: { StartTime: "2026-11-16T01:00:00Z", EndTime: "2026-11-17T01:00:00Z" },
          },
          { TaskId: "10010016", Status: "created", CreateTime: "2026-11-22T01:33:55Z", TaskName: null, TaskConfig: null },
          { TaskId: "1", Status: "", CreateTime: "", DownloadUrl: "", TaskConfig: {} },
        ],
      },
    },
  };
}

/** Replacement values: wrong types, nulls, empty and numeric strings, odd numbers, nested shapes. */
const VALUES: readonly unknown[] = [
  undefined, null, true, false, "", "x", "0", "12", "007", "1e2", " 3", "-1", "1.5", "9".repeat(15), "9".repeat(16),
  "数", 0, -0, 1, -1, 2.5, 1e21, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, NaN, Infinity, -Infinity,
  {}, [], ["x"], [{}], { TaskId: "9", Status: "s", CreateTime: "c" }, { StartTime: "s" }, { DataItem: [] },
  new Date(0), Object.create(null) as unknown,
];

/** Every path to a value in the body, the root included. */
function paths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((child, index) => out.push(...paths(child, [...prefix, index])));
  else if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) out.push(...paths(child, [...prefix, key]));
  }
  return out;
}

type Mutation = { kind: "set"; value: unknown } | { kind: "delete" } | { kind: "extra" };

/** A mutated deep copy; "extra" adds an unknown field to an object (or an element to an array). */
function mutate(body: Json, path: Path, mutation: Mutation): unknown {
  const copy = structuredClone(body) as unknown;
  if (path.length === 0) {
    if (mutation.kind === "set") return mutation.value;
    if (mutation.kind === "extra" && typeof copy === "object" && copy !== null) Object.assign(copy, { Extra: [1, null] });
    return mutation.kind === "delete" ? undefined : copy;
  }
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (mutation.kind === "set") parent[last] = mutation.value;
  else if (mutation.kind === "delete") {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else Reflect.deleteProperty(parent, last);
  } else {
    const target = parent[last];
    if (Array.isArray(target)) target.push(structuredClone(target[0] ?? null));
    else if (typeof target === "object" && target !== null) Object.assign(target, { Extra: "unexpected", TaskIdx: 1 });
    else return undefined;
  }
  return copy;
}

type Verdict = { ok: true; page: TaskPage } | { ok: false; field: string; message: string };

function verdict(parse: () => TaskPage): Verdict {
  try {
    return { ok: true, page: parse() };
  } catch (error) {
    if (!(error instanceof UpstreamMalformedError)) throw error;
    return { ok: false, field: error.field, message: error.message };
  }
}

/** Checks one body; returns which way it went, for the coverage counts. */
function agree(body: unknown): "fast" | "schema-ok" | "rejected" {
  const reference = verdict(() => parseTaskPageWithSchema(ACTION, "USAGE_DETAIL", body));
  const fast = readTaskPage("USAGE_DETAIL", body);
  const public_ = verdict(() => parseTaskPage(ACTION, "USAGE_DETAIL", body));
  expect(public_).toStrictEqual(reference);
  if (!reference.ok) {
    expect(fast).toBeUndefined();
    return "rejected";
  }
  if (fast === undefined) return "schema-ok";
  expect(fast).toStrictEqual(reference.page);
  // -0 and 0 must not be told apart by the fast path either.
  for (const key of ["pageNumber", "pageSize", "totalCount"] as const) expect(Object.is(fast[key], reference.page[key])).toBe(true);
  return "fast";
}


describe("readTaskPage (the fast page reader)", () => {
  it("reads a valid page by itself, exactly as the schema would", () => {
    const body = validPage();
    expect(readTaskPage("USAGE_DETAIL", body)).toBeDefined();
    expect(agree(body)).toBe("fast");
  });

  it("agrees with the schema on every single mutation of a valid page", () => {
    const body = validPage();
    const counts = { fast: 0, "schema-ok": 0, rejected: 0 };
    const mutations: Mutation[] = [{ kind: "delete" }, { kind: "extra" }, ...VALUES.map((value) => ({ kind: "set" as const, value }))];
    for (const path of paths(body)) {
      for (const mutation of mutations) {
        const mutated = mutate(body, path, mutation);
        counts[agree(mutated)] += 1;
      }
    }
    // The sweep must see both accepted and rejected bodies, or it proves nothing.
    expect(counts.fast).toBeGreaterThan(100);
    expect(counts.rejected).toBeGreaterThan(500);
  });

  it("agrees with the schema on combined mutations", () => {
    const random = seededRandom(6); // deterministic combined mutations
    const mutations: Mutation[] = [{ kind: "delete" }, { kind: "extra" }, ...VALUES.map((value) => ({ kind: "set" as const, value }))];
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    for (let round = 0; round < 2000; round += 1) {
      let body = validPage();
      for (let step = 0; step < 1 + Math.floor(random() * 3); step += 1) {
        const candidates = paths(body).filter((path) => path.length > 0);
        const mutated = mutate(body, pick(candidates), pick(mutations));
        if (mutated === undefined) break;
        body = mutated as Json;
      }
      agree(body);
    }
  });

  it("reads counts sent as digit strings as the schema does", () => {
    const body = validPage() as { UsageDataPerPage: Record<string, unknown> };
    body.UsageDataPerPage.TotalCount = "007";
    expect(agree(body)).toBe("fast");
    expect(parseTaskPage(ACTION, "USAGE_DETAIL", body).totalCount).toBe(7);
  });
});
