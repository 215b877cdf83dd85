// The blocked pointwise conv's pixel chunks (runtime/js/kernels/blocked.ts pointwiseChunks): they tile [0, P) in
// order from multiples of 4, each within the L2 budget of one thread's chunk, one thread's chunk count unchanged,
// and with threads the chunks divide evenly so the threads' pixel counts differ by at most one quad per chunk
// (MobileNetV2's 384->64 14x14 convs had chunks of 168 and 28 pixels: one thread did 6x the other's work). And a
// MobileNetV2-like block's outputs at 2 and 3 threads equal 1 thread bit for bit (a pixel's sum does not depend on
// its chunk), the chunk layouts above among them.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pointwiseChunks } from '../../runtime/js/kernels/blocked.ts';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { compileJsLowered, lowerForJsBackend } from './graphs.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

const CHUNK_BYTES = 256 * 1024;
const bounds = (P: number, C: number, N: number, threads: number) => {
  const { chunks, quads } = pointwiseChunks(P, C, N, threads);
  return Array.from({ length: chunks }, (_, k) => [Math.floor((k * quads) / chunks) * 4, Math.min(P, Math.floor(((k + 1) * quads) / chunks) * 4)] as const);
};

describe('blocked pointwise pixel chunks', () => {
  it('tile the pixels from multiples of 4 within the L2 budget and split evenly among threads (fast-check)', () => {
    const arb = fc.record({ P: fc.integer({ min: 1, max: 20000 }), C: fc.integer({ min: 1, max: 300 }).map((n) => 4 * n),
      N: fc.integer({ min: 1, max: 3 }), threads: fc.integer({ min: 1, max: 4 }) });
    fc.assert(fc.property(arb, ({ P, C, N, threads }) => {
      const most = Math.max(4, Math.floor(CHUNK_BYTES / (C * 16)) * 4);
      const b = bounds(P, C, N, threads);
      expect(b[0]![0]).toBe(0);
      expect(b.at(-1)![1]).toBe(P);
      b.forEach(([lo, hi], k) => {
        expect(lo % 4).toBe(0);
        expect(hi).toBeGreaterThan(lo);
        expect(hi - lo).toBeLessThanOrEqual(most);
        if (k) expect(lo).toBe(b[k - 1]![1]);
      });
      if (threads === 1) expect(b.length).toBe(Math.ceil(P / most));
      // The images' chunks in order, split as the phase splits them (floor(items * tid / threads)).
      const items = N * b.length, sizes = b.map(([lo, hi]) => hi - lo);
      if (items % threads === 0) {
        const share = (t: number) => { let s = 0; for (let r = Math.floor((items * t) / threads); r < Math.floor((items * (t + 1)) / threads); r++) s += sizes[r % b.length]!; return s; };
        const shares = Array.from({ length: threads }, (_, t) => share(t));
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(4 * (items / threads) + 3);
      } else expect(b.length).toBe(Math.ceil(P / 4)); // only when every chunk is one quad already
    }), { numRuns: 500, seed: 1806 });
    // The case that was 6:1.
    expect(bounds(196, 384, 1, 2)).toEqual([[0, 96], [96, 196]]);
  });

  /** x -> 1x1 C->E, Clip -> depthwise 3x3, Clip -> 1x1 E->M: the layout pass blocks the chain. */
  function block(N: number, C: number, E: number, M: number, H: number): Graph {
    const rnd = lcg(C * E + H), g = new Graph('pw');
    const w = (shape: number[]) => g.addConst(g.uniqueName('w'), uniformTensor(shape, rnd, -0.3, 0.3));
    const clip = (v: Value) => g.addNode('Clip', [v, g.addConst(g.uniqueName('lo'), uniformTensor([], () => 0.5, 0, 0)), g.addConst(g.uniqueName('hi'), uniformTensor([], () => 0.5, 6, 6))]).outputs[0]!;
    const conv = (v: Value, cin: number, cout: number, k: number, group: number) => g.addNode('Conv', [v, w([cout, cin / group, k, k]), w([cout])],
      { kernel_shape: [k, k], strides: [1, 1], pads: Array(4).fill((k - 1) >> 1), group }).outputs[0]!;
    const x = g.addInput('x', { dtype: 'float32', shape: [N, C, H, H] });
    g.outputs = [conv(clip(conv(clip(conv(x, C, E, 1, 1)), E, E, 3, E)), E, M, 1, 1)];
    inferShapes(g);
    return g;
  }

  it('2 and 3 threads equal 1 thread bit for bit on blocked pointwise convs of several chunks', async () => {
    for (const [N, C, E, M, H] of [[1, 64, 384, 64, 14], [1, 24, 144, 24, 28], [2, 16, 96, 20, 13], [1, 8, 32, 12, 3]] as const) {
      const g = block(N, C, E, M, H);
      expect(compileProgram(lowerForJsBackend(g), { threads: 2 }).kernels.filter((k) => k.kind.startsWith('blocked pointwise')).length).toBe(2);
      const x = uniformTensor([N, C, H, H], lcg(H), -1, 1);
      const outs: Float32Array[] = [];
      for (const threads of [1, 2, 3]) {
        const m = await compileJsLowered(g, { threads });
        try { outs.push((await m.run({ x }))[g.outputs[0]!.name]!.data as Float32Array); } finally { await m.dispose(); }
      }
      expect(outs[0]!.some(Number.isNaN)).toBe(false);
      for (const t of [1, 2]) expect(Array.from(outs[t]!), `${[N, C, E, M, H]} at ${t + 1} threads`).toEqual(Array.from(outs[0]!));
    }
  }, 60_000);
});
