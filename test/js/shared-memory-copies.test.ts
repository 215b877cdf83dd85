// The kernels whose padded or chunk copies moved from F.fill / F.copyWithin (5-9x slower per float on the 2-thread
// programs' SharedArrayBuffer) to the wasm copy of runtime/js/wasm/pad-plane.ts or to element loops: the depthwise
// conv (NCHW), the direct stride-1 row conv, Concat (copying, not in place) and Winograd by phases' plane build. On
// random awkward shapes (asymmetric pads, dilation, odd widths for the copy's tail floats, every
// Concat axis, batch 2), each reaches its kernel, stays within the reference interpreter's derived bound at 1 and 2
// threads (not Winograd: test/js/winograd-phase.test.ts holds its bound), gives 2 threads the same bits as 1, and
// makes no F.fill / F.copyWithin call.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph, type AttrValue, type Value } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { compileJs, compileProgram, type JsOptions } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { worstElement } from '../helpers/differential.ts';
import { referenceWithBounds } from '../helpers/error-bound.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

interface Built { g: Graph; feeds: Record<string, Tensor>; kind: RegExp; opts: JsOptions; exact: boolean }

function conv(x: number[], w: number[], attrs: Record<string, AttrValue>, seed: number): { g: Graph; feeds: Record<string, Tensor> } {
  const rnd = lcg(seed), g = new Graph('copies');
  const xv = g.addInput('x', { dtype: 'float32', shape: x });
  const node = g.addNode('Conv', [xv, g.addConst('w', uniformTensor(w, rnd, -0.5, 0.5)), g.addConst('b', uniformTensor([w[0]!], rnd, -0.5, 0.5))], attrs);
  g.outputs = [node.outputs[0]!];
  inferShapes(g);
  return { g, feeds: { x: uniformTensor(x, rnd, -2, 2) } };
}

const pads = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 });
const side = fc.integer({ min: 1, max: 13 });

const depthwise = fc.record({ N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 2, max: 5 }), H: side, W: side,
  k: fc.constantFrom(2, 3, 5), s: fc.constantFrom(1, 2), d: fc.constantFrom(1, 2), pads, seed: fc.nat() })
  .filter((c) => c.H + c.pads[0]! + c.pads[2]! > c.d * (c.k - 1) && c.W + c.pads[1]! + c.pads[3]! > c.d * (c.k - 1))
  .map((c): Built => ({ ...conv([c.N, c.C, c.H, c.W], [c.C, 1, c.k, c.k], { kernel_shape: [c.k, c.k], strides: [c.s, c.s], dilations: [c.d, c.d], pads: c.pads, group: c.C }, c.seed),
    kind: /^depthwise/, opts: { layout: 'nchw' }, exact: true }));

const rowConv = fc.record({ N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 4 }), M: fc.integer({ min: 1, max: 5 }), H: side, W: side,
  kh: fc.constantFrom(1, 2, 3), kw: fc.constantFrom(2, 3), d: fc.constantFrom(1, 2), pads, seed: fc.nat() })
  .filter((c) => c.H + c.pads[0]! + c.pads[2]! > c.d * (c.kh - 1) && c.W + c.pads[1]! + c.pads[3]! > c.d * (c.kw - 1))
  .map((c): Built => ({ ...conv([c.N, c.C, c.H, c.W], [c.M, c.C, c.kh, c.kw], { kernel_shape: [c.kh, c.kw], dilations: [c.d, c.d], pads: c.pads }, c.seed),
    kind: /^direct conv/, opts: { winograd: false }, exact: true }));

const concat = fc.record({ N: fc.integer({ min: 1, max: 2 }), dims: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 3, maxLength: 3 }), axis: fc.integer({ min: 0, max: 3 }),
  sizes: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 3 }), seed: fc.nat() })
  .map((c): Built => {
    const rnd = lcg(c.seed), g = new Graph('concat'), feeds: Record<string, Tensor> = {};
    const inputs = c.sizes.map((n, i) => {
      const shape = [c.N, ...c.dims];
      shape[c.axis] = n;
      feeds[`x${i}`] = uniformTensor(shape, rnd, -2, 2);
      return g.addInput(`x${i}`, { dtype: 'float32', shape });
    });
    g.outputs = [g.addNode('Concat', inputs, { axis: c.axis }).outputs[0]!];
    inferShapes(g);
    return { g, feeds, kind: /^concat/, opts: { concatInPlace: false }, exact: true };
  });

// Two in a row, the second's pads differing: its plane scratch reuses the first's, so a pad float left unwritten
// holds the first conv's data, not the fresh memory's zero.
const phases = fc.record({ N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), M: fc.integer({ min: 1, max: 5 }), H: fc.integer({ min: 21, max: 29 }),
  W: fc.integer({ min: 21, max: 29 }), k: fc.constantFrom(5, 7), tile: fc.constantFrom(2 as const, 4 as const),
  pads: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }), seed: fc.nat() })
  .map((c): Built => {
    const rnd = lcg(c.seed), g = new Graph('phases'), attrs = (p: number[]) => ({ kernel_shape: [c.k, c.k], strides: [2, 2], pads: p });
    const convNode = (v: Value, cin: number, p: number[]) => g.addNode('Conv', [v, g.addConst(g.uniqueName('w'), uniformTensor([c.M, cin, c.k, c.k], rnd, -0.5, 0.5)),
      g.addConst(g.uniqueName('b'), uniformTensor([c.M], rnd, -0.5, 0.5))], attrs(p)).outputs[0]!;
    const x = g.addInput('x', { dtype: 'float32', shape: [c.N, c.C, c.H, c.W] });
    g.outputs = [convNode(convNode(x, c.C, c.pads.slice(0, 4)), c.M, c.pads.slice(4))];
    inferShapes(g);
    return { g, feeds: { x: uniformTensor([c.N, c.C, c.H, c.W], rnd, -2, 2) }, kind: /phases of conv/, opts: { winogradTile: c.tile }, exact: false };
  });

async function check(b: Built): Promise<void> {
  const what = `${b.g.nodes[0]!.op} ${JSON.stringify(b.g.inputs.map((v) => v.type.shape))} ${JSON.stringify(b.g.nodes[0]!.attrs)}`;
  const p = compileProgram(b.g, { ...b.opts, threads: 2 });
  for (const k of p.kernels) expect(k.kind, what).toMatch(b.kind);
  expect(p.source, what).not.toMatch(/F\.(fill|copyWithin)/);
  const name = b.g.outputs[0]!.name, outs: Tensor[] = [];
  for (const threads of [1, 2]) {
    const m = await compileJs(b.g, { ...b.opts, threads });
    try { outs.push((await m.run(b.feeds))[name]!); } finally { await m.dispose(); }
  }
  expect(Array.from(outs[1]!.data as Float32Array), `${what}: 2 threads vs 1`).toEqual(Array.from(outs[0]!.data as Float32Array));
  if (!b.exact) return;
  const { ref, bounds } = referenceWithBounds(b.g, b.feeds);
  expect(worstElement(outs[0]!, ref[name]!, bounds.get(name)!).ratio, what).toBeLessThanOrEqual(1);
}

describe('padded and chunk copies on shared memory in wasm', () => {
  for (const [label, arb, runs] of [['depthwise conv (NCHW)', depthwise, 40], ['direct row conv', rowConv, 40], ['Concat (copying)', concat, 40], ['Winograd by phases', phases, 15]] as const) {
    it(`${label}: within the reference bound, 2 threads == 1 bit for bit, no F.fill / F.copyWithin (fast-check)`, async () => {
      await fc.assert(fc.asyncProperty(arb as fc.Arbitrary<Built>, check), { numRuns: runs, seed: 1806 });
    }, 120_000);
  }
});
