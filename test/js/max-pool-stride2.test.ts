// The rows-first SIMD max pool (runtime/js/wasm/max-pool-stride2.ts: horizontal stride 2, 2- or 3-wide windows)
// against the reference bit for bit (max only moves values), NaNs included: odd and prime plane sizes, output widths
// with a partial last vector, 1-4 window rows, vertical strides 1-3 and dilation, padding (the padded-copy path) and
// none (in place), ceil_mode, 1 and 2 threads. Each case asserts the kernel really took the rows-first path.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { compileProgram } from '../../runtime/js/index.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';
import { agree } from './single-op.ts';

interface Case { N: number; C: number; H: number; W: number; KH: number; KW: number; SH: number; DH: number; pad: number; ceil: number; nans: number; threads: number; seed: number }

function attrs(c: Case): Record<string, number[] | number> {
  const pw = Math.min(c.pad, c.KW - 1), ph = Math.min(c.pad, (c.KH - 1) * c.DH);
  return { kernel_shape: [c.KH, c.KW], strides: [c.SH, 2], dilations: [c.DH, 1], pads: [ph, pw, ph, pw], ceil_mode: c.ceil };
}

async function check(c: Case): Promise<void> {
  const x = uniformTensor([c.N, c.C, c.H, c.W], lcg(c.seed), -3, 3);
  const r = lcg(c.seed + 1);
  for (let i = 0; i < c.nans; i++) x.data[Math.floor(r() * x.size)] = NaN;
  const g = new Graph('pool');
  g.outputs = [g.addNode('MaxPool', [g.addInput('x', { dtype: 'float32', shape: [c.N, c.C, c.H, c.W] })], attrs(c)).outputs[0]!];
  inferShapes(g);
  expect(compileProgram(g, { threads: c.threads }).kernels.map((k) => k.kind).join(), JSON.stringify(c)).toMatch(/rows first/);
  await agree({ op: 'MaxPool', inputs: [x], attrs: attrs(c), exact: true }, c.threads);
}

const arbCase: fc.Arbitrary<Case> = fc.record({
  N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 5 }), H: fc.integer({ min: 1, max: 13 }), W: fc.integer({ min: 2, max: 29 }),
  KH: fc.integer({ min: 1, max: 4 }), KW: fc.constantFrom(2, 3), SH: fc.integer({ min: 1, max: 3 }), DH: fc.integer({ min: 1, max: 2 }),
  pad: fc.integer({ min: 0, max: 1 }), ceil: fc.constantFrom(0, 1), nans: fc.integer({ min: 0, max: 3 }), threads: fc.constantFrom(1, 2),
  seed: fc.integer({ min: 1, max: 1e6 }),
}).filter((c) => c.H + 2 * c.pad > (c.KH - 1) * c.DH && c.W + 2 * c.pad >= c.KW);

describe('max pool, horizontal stride 2, rows first', () => {
  it('equals the reference bit for bit (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(arbCase, check), { numRuns: 60, seed: 18121 });
  }, 120_000);

  it("SqueezeNet's and ResNet's shapes: 3x3/2 on 111x111 (in place), 3x3/2 pad 1 on 112x112, 2x2/2 on 13x13", async () => {
    const base = { N: 1, C: 3, KH: 3, KW: 3, SH: 2, DH: 1, ceil: 0, nans: 1, threads: 1, seed: 7 };
    await check({ ...base, H: 111, W: 111, pad: 0 });
    await check({ ...base, H: 112, W: 112, pad: 1, threads: 2 });
    await check({ ...base, H: 13, W: 13, KH: 2, KW: 2, SH: 2, pad: 0, ceil: 1 });
  }, 60_000);
});
