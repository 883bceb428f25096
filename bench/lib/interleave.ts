/**
 * A/B measurement in one run: rounds alternate A B, B A, A B... so slow drift on the machine
 * (other processes, thermal, GC of earlier rounds) falls on both sides alike.
 */
export interface Interleaved<A, B> {
  a: A[];
  b: B[];
}

export async function interleave<A, B>(rounds: number, runA: () => Promise<A>, runB: () => Promise<B>): Promise<Interleaved<A, B>> {
  const a: A[] = [];
  const b: B[] = [];
  for (let round = 0; round < rounds; round += 1) {
    if (round % 2 === 0) {
      a.push(await runA());
      b.push(await runB());
    } else {
      b.push(await runB());
      a.push(await runA());
    }
  }
  return { a, b };
}

/** Per-round ratios a[i] / b[i]. */
export function pairRatios<A, B>(run: Interleaved<A, B>, of: (a: A, b: B) => number): number[] {
  return run.a.map((a, i) => {
    const b = run.b[i];
    return b === undefined ? Number.NaN : of(a, b);
  });
}
