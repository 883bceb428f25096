/**
 * The shape of `bench/results.json`: one object per case with its figures, the headline ratio,
 * the target and whether it passed. The smoke test validates the file with this same schema.
 */
import { writeFile } from "node:fs/promises";
import { z } from "zod";

export const checkSchema = z.object({
  /** What is judged, e.g. "gateway rps / direct rps". */
  name: z.string().min(1),
  value: z.number().nullable(),
  op: z.enum(["<=", ">=", "=="]),
  limit: z.number(),
  pass: z.boolean(),
});

export const caseResultSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  /** Everything measured, keyed `<what>_<unit>` (e.g. `gateway_rps`, `added_median_ms`). */
  figures: z.record(z.string(), z.number().nullable()),
  /** The headline ratio (see `ratioOf`); null when the case could not run. */
  ratio: z.number().nullable(),
  ratioOf: z.string(),
  /** The target as the issue states it. */
  target: z.string().min(1),
  checks: z.array(checkSchema),
  pass: z.boolean(),
  /** One line for the table. */
  summary: z.string(),
  notes: z.array(z.string()),
  quick: z.boolean(),
  durationMs: z.number(),
  error: z.string().optional(),
});

export const resultsFileSchema = z.array(caseResultSchema).min(1);

export type Check = z.infer<typeof checkSchema>;
export type CaseResult = z.infer<typeof caseResultSchema>;

/** JSON turns NaN into null; keep non-finite figures explicit as null. */
export function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export function atMost(name: string, value: number, limit: number): Check {
  return { name, value: finiteOrNull(value), op: "<=", limit, pass: Number.isFinite(value) && value <= limit };
}

export function atLeast(name: string, value: number, limit: number): Check {
  return { name, value: finiteOrNull(value), op: ">=", limit, pass: Number.isFinite(value) && value >= limit };
}

export function exactly(name: string, value: number, expected: number): Check {
  return { name, value: finiteOrNull(value), op: "==", limit: expected, pass: value === expected };
}

export async function writeResults(path: string, results: readonly CaseResult[]): Promise<void> {
  const checked = resultsFileSchema.parse(results);
  await writeFile(path, `${JSON.stringify(checked, null, 2)}\n`);
}

/**
 * What a `--quick` run must show (it times nothing): one result per case run, in order, each
 * with figures and checks, none crashed, and `pass` agreeing with its checks. Empty = fine.
 */
export function smokeProblems(results: readonly CaseResult[], caseIds: readonly string[]): string[] {
  const problems: string[] = [];
  const ids = results.map((result) => result.id);
  if (ids.join(",") !== caseIds.join(",")) problems.push(`cases ${ids.join(",")} instead of ${caseIds.join(",")}`);
  for (const result of results) {
    if (result.error !== undefined) problems.push(`${result.id}: ${result.error}`);
    if (!result.quick) problems.push(`${result.id}: not marked quick`);
    if (Object.keys(result.figures).length === 0) problems.push(`${result.id}: no figures`);
    if (result.checks.length === 0) problems.push(`${result.id}: no checks`);
    if (result.pass !== result.checks.every((check) => check.pass)) problems.push(`${result.id}: pass disagrees with its checks`);
  }
  return problems;
}
