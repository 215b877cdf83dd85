// The pool kernels' padded plane copy in wasm (runtime/js/wasm/pad-plane.ts) against a plain JS copy, bit for bit,
// on shared memory (what 2-thread programs run on): odd widths (the row's last floats), every pad offset, fills of
// -Infinity and 0, source rows further apart than their width (the direct conv's rows of all channels). And the padded SIMD pools at 2 threads equal 1 thread bit for bit and make no F.fill /
// F.copyWithin call in their phase (slow on a SharedArrayBuffer: ResNet-18's MaxPool took as long per thread at 2
// threads as the whole layer at 1).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeModule } from '../../runtime/js/wasm/encode.ts';
import { emitPadPlane, type PadPlaneShape } from '../../runtime/js/wasm/pad-plane.ts';
import { Graph } from '../../src/ir/graph.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { compileJs, compileProgram } from '../../runtime/js/index.ts';
import '../../src/ops/index.ts';
import { lcg, uniformTensor } from '../helpers/random.ts';

/** Runs the emitted copy on a shared memory filled with NaN and returns the copy's floats (and the guard after). */
function wasmCopy(s: PadPlaneShape, src: Float32Array): Float32Array {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true } as WebAssembly.MemoryDescriptor);
  const F = new Float32Array(memory.buffer).fill(NaN);
  F.set(src, 16);
  const dst = 16 + src.length + 3; // not 16-byte aligned
  const m = new WebAssembly.Instance(new WebAssembly.Module(encodeModule([{ name: 'pad', code: emitPadPlane(s) }], { initial: 2, maximum: 2, shared: true }) as BufferSource), { env: { memory } });
  (m.exports.pad as (a: number, b: number) => void)(16 * 4, dst * 4);
  return F.slice(dst, dst + s.floats + 4);
}

function jsCopy(s: PadPlaneShape, src: Float32Array): Float32Array {
  const out = new Float32Array(s.floats + 4).fill(NaN);
  out.fill(s.fill, 0, s.floats);
  for (let y = 0; y < s.H; y++) for (let x = 0; x < s.W; x++) out[(y + s.PT) * s.PW + s.PL + x] = src[y * (s.srcPitch ?? s.W) + x]!;
  return out;
}

const arbShape: fc.Arbitrary<PadPlaneShape> = fc.record({
  H: fc.integer({ min: 1, max: 9 }), W: fc.integer({ min: 1, max: 23 }), PT: fc.integer({ min: 0, max: 2 }), PL: fc.integer({ min: 0, max: 2 }),
  PR: fc.integer({ min: 0, max: 3 }), PB: fc.integer({ min: 0, max: 3 }), extra: fc.integer({ min: 0, max: 7 }), fill: fc.constantFrom(-Infinity, 0),
  gap: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
}).map(({ PR, PB, extra, gap, ...s }) => ({ ...s, ...(gap === undefined ? {} : { srcPitch: s.W + gap }), PW: s.W + s.PL + PR, floats: (s.H + s.PT + PB) * (s.W + s.PL + PR) + extra }));

describe('padded plane copy in wasm', () => {
  it('equals a JS copy bit for bit on shared memory (fast-check)', () => {
    fc.assert(fc.property(arbShape, fc.integer({ min: 1, max: 1e6 }), (s, seed) => {
      const src = uniformTensor([s.H * (s.srcPitch ?? s.W)], lcg(seed), -3, 3).data as Float32Array;
      expect(Array.from(wasmCopy(s, src)), JSON.stringify(s)).toEqual(Array.from(jsCopy(s, src)));
    }), { numRuns: 200, seed: 1802 });
  });

  it("padded pools at 2 threads equal 1 thread bit for bit, without F.fill / F.copyWithin (ResNet-18's 3x3/2 pad 1, an average pool)", async () => {
    for (const [op, H, W, attrs] of [
      ['MaxPool', 112, 112, { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
      ['AveragePool', 13, 11, { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 2, 1, 0], count_include_pad: 1 }],
    ] as const) {
      const g = new Graph('pool');
      g.outputs = [g.addNode(op, [g.addInput('x', { dtype: 'float32', shape: [1, 5, H, W] })], attrs as never).outputs[0]!];
      inferShapes(g);
      const p = compileProgram(g, { threads: 2 });
      expect(p.kernels.map((k) => k.kind).join()).toMatch(/simd/);
      expect(p.source).not.toMatch(/F\.(fill|copyWithin)/);
      const x = uniformTensor([1, 5, H, W], lcg(H * W), -3, 3);
      const outs: Float32Array[] = [];
      for (const threads of [1, 2]) {
        const m = await compileJs(g, { threads });
        outs.push((await m.run({ x }))[g.outputs[0]!.name]!.data as Float32Array);
        await m.dispose();
      }
      expect(Array.from(outs[1]!), op).toEqual(Array.from(outs[0]!));
    }
  }, 30_000);
});
