// One WorkerPool serves many 2-thread js programs (the differential campaign's use, runtime/js/worker-pool.ts):
// the workers start once, and a program on borrowed workers agrees with the reference interpreter and gives bit
// for bit what it gives on workers of its own, whatever ran on those workers before (programs with other
// weights, memory sizes and phase lists), also with two programs alive at once and back to back in reused memory.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildCase, compileJsLowered, graphCase, toleranceRatio } from './graphs.ts';
import { WorkerPool } from '../../runtime/js/index.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import type { CompiledModel } from '../../runtime/backend.ts';

const CASES = fc.sample(graphCase, { seed: 1913, numRuns: 8 }).map(buildCase);
const only = (out: Record<string, Tensor>) => Object.values(out)[0]!;
const bits = (t: Tensor) => Array.from(new Uint32Array(new Float32Array(t.data as Float32Array).buffer));

async function onOwnWorkers(i: number): Promise<Tensor> {
  const m = await compileJsLowered(CASES[i]!.graph, { threads: 2 });
  try { return only(await m.run(CASES[i]!.feeds)); } finally { await m.dispose(); }
}

describe('js worker pool', () => {
  it('programs one after another on one pool: reference-equal, bit-equal to their own workers, one worker started', async () => {
    const pool = new WorkerPool();
    for (let i = 0; i < CASES.length; i++) {
      const { graph, feeds } = CASES[i]!;
      const m = await compileJsLowered(graph, { threads: 2, workers: pool });
      const got = only(await m.run(feeds));
      await m.dispose();
      expect(toleranceRatio(got, only(runGraph(graph, feeds))), `case ${i}`).toBeLessThanOrEqual(1);
      expect(bits(got), `case ${i}`).toEqual(bits(await onOwnWorkers(i)));
    }
    expect(pool.started).toBe(1);
    await pool.close();
  });

  it('programs back to back on one pool (each taking the memory the last one left): every run completes, reference-equal', async () => {
    // dispose returns the memory (runtime/js/memory-pool.ts) and the next compile zeroes it at once: a worker not yet
    // out of the old program's loop then missed its exit word and ran the old phases against the new barriers (a hang).
    const pool = new WorkerPool();
    for (let round = 0; round < 5; round++) {
      for (const [i, { graph, feeds }] of CASES.entries()) {
        const m = await compileJsLowered(graph, { threads: 2, workers: pool });
        const got = only(await m.run(feeds));
        await m.dispose();
        expect(toleranceRatio(got, only(runGraph(graph, feeds))), `round ${round} case ${i}`).toBeLessThanOrEqual(1);
      }
    }
    expect(pool.started).toBe(1);
    await pool.close();
  }, 15_000);

  it('two programs alive at once borrow two workers; runs interleave without mixing their memories', async () => {
    const pool = new WorkerPool();
    const models: CompiledModel[] = [];
    for (const i of [0, 1]) models.push(await compileJsLowered(CASES[i]!.graph, { threads: 2, workers: pool }));
    expect(pool.started).toBe(2);
    for (const i of [0, 1, 0, 1]) expect(bits(only(await models[i]!.run(CASES[i]!.feeds)))).toEqual(bits(await onOwnWorkers(i)));
    for (const m of models) await m.dispose();
    const again = await compileJsLowered(CASES[2]!.graph, { threads: 3, workers: pool });
    expect(pool.started).toBe(2);
    expect(toleranceRatio(only(await again.run(CASES[2]!.feeds)), only(runGraph(CASES[2]!.graph, CASES[2]!.feeds)))).toBeLessThanOrEqual(1);
    await again.dispose();
    await pool.close();
  });

  it('a closed pool refuses new programs (LC077)', async () => {
    const pool = new WorkerPool();
    await pool.close();
    await expect(compileJsLowered(CASES[0]!.graph, { threads: 2, workers: pool })).rejects.toMatchObject({ code: 'LC077' });
  });
});
