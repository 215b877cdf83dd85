// The Winograd filter transform in wasm (runtime/js/wasm/winograd-filter.ts, used when a program is instantiated)
// against the JS transformer (runtime/js/kernels/winograd-weights.ts, used for weights.bin; itself checked against the
// dense float64 G g G^T in winograd.test.ts): every value bit for bit (Object.is), for F(2x2) and F(4x4), panels of
// 4 and 8 rows, output channels that do not fill the last panel, channel counts around the 64-channel staging chunk,
// a scratch that holds one block or all of them, and pad rows zero; a folded BatchNorm's deferred weight (scaled
// as it is staged, ../../runtime/js/wasm/scale-rows.ts) as the JS transformer of the folded values; a weight still in its
// model file (float32From) read straight into the staging area, never into an array. Also: the scratch region is left for the caller
// to zero (dirty), nothing outside the constant's place and the scratch is written.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { winogradWeights } from '../../runtime/js/kernels/winograd-weights.ts';
import { F2, F4 } from '../../runtime/js/wasm/winograd-matrices.ts';
import { stagingBytes } from '../../runtime/js/wasm/winograd-filter.ts';
import type { WriteContext } from '../../runtime/js/kernel.ts';
import { lcg } from '../helpers/random.ts';
import { float32From, isDeferred, rowScaled, type ByteSource, type Tensor } from '../../src/ir/tensor.ts';

/** The bytes of `w` as a source read on demand (as a model file's: src/io/file-bytes.ts). */
const bytesOf = (w: Float32Array): ByteSource => {
  const b = new Uint8Array(w.slice().buffer);
  return { byteLength: b.length, read: (into, at) => into.set(b.subarray(at, at + into.length)) };
};

describe('Winograd filter transform in wasm', () => {
  it('equals the JS transformer bit for bit', () => {
    fc.assert(fc.property(fc.constantFrom(2, 4), fc.constantFrom(4, 8), fc.integer({ min: 1, max: 21 }), fc.constantFrom(1, 3, 63, 64, 65, 130),
      fc.boolean(), fc.integer({ min: 1, max: 1e9 }), fc.boolean(), fc.boolean(), fc.boolean(), (m, R, M, C, roomy, seed, shared, scaled, inFile) => {
        const t = m === 2 ? F2 : F4, rnd = lcg(seed);
        const w = Float32Array.from({ length: M * C * 9 }, () => (rnd() * 2 - 1) * 10 ** Math.floor(rnd() * 6 - 3));
        // scaled: a folded BatchNorm's deferred weight (src/ir/tensor.ts rowScaled), staged and scaled by
        // ../wasm/scale-rows.ts; expected: the JS transformer of the folded values, computed here.
        const scale = Float64Array.from({ length: M }, () => (rnd() * 2 - 1) / Math.sqrt(rnd() + 1e-3));
        const folded = w.map((x, i) => x * scale[Math.floor(i / (C * 9))]!);
        // inFile: the weight still in its model file (src/ir/tensor.ts float32From), read straight into the staging area
        const weight = inFile ? float32From([M, C, 3, 3], bytesOf(w)) : w;
        const source = scaled ? rowScaled([M, C, 3, 3], weight, scale) : weight;
        const writer = winogradWeights(t, source, M, C, R);
        const expected = new Float32Array(writer.length);
        winogradWeights(t, scaled ? folded : w, M, C, R).write(expected);
        // memory: [64 B | scratch | 64 B guard | the constant | 64 B guard]
        const scBytes = stagingBytes(t, R), block = R * C * 36;
        const scratchBytes = scBytes + 16 + (scaled ? Math.ceil(M / 2) * 16 : 0) + (roomy ? Math.ceil(M / R) * block : block);
        const at = 64 + scratchBytes + 64, bytes = at + writer.length * 4 + 64;
        const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536), maximum: 65536, shared } as WebAssembly.MemoryDescriptor);
        const F = new Float32Array(memory.buffer);
        F.fill(NaN, at / 4, at / 4 + writer.length); // the place is not zeroed: the writer writes every float
        const ctx: WriteContext = { memory, shared, at, scratch: 64, scratchBytes, dirty: false };
        writer.write(F.subarray(at / 4, at / 4 + writer.length), ctx);
        expect(ctx.dirty).toBe(true);
        const got = F.subarray(at / 4, at / 4 + writer.length);
        for (let i = 0; i < writer.length; i++) if (!Object.is(got[i], expected[i])) expect([i, got[i]]).toEqual([i, expected[i]]);
        const u8 = new Uint8Array(memory.buffer);
        for (let i = 0; i < 64; i++) expect(u8[i]).toBe(0);
        for (let i = 64 + scratchBytes; i < at; i++) expect(u8[i]).toBe(0);
        for (let i = at + writer.length * 4; i < u8.length; i++) if (u8[i] !== 0) expect(i).toBe(-1);
        if (scaled) expect(isDeferred(source as Tensor)).toBe(true); // scaled as staged, never computed whole
        if (inFile) expect(isDeferred(weight as Tensor)).toBe(true); // read as staged, never into an array of its own
      }), { numRuns: 80, seed: 1811 });
  });

  it('declines a scratch too small for one block (the JS transformer writes instead)', () => {
    const w = Float32Array.from({ length: 8 * 16 * 9 }, (_, i) => Math.sin(i));
    const writer = winogradWeights(F4, w, 8, 16, 4);
    const expected = new Float32Array(writer.length);
    writer.write(expected);
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 65536 });
    const F = new Float32Array(memory.buffer);
    const ctx: WriteContext = { memory, shared: false, at: 4096, scratch: 64, scratchBytes: 1000, dirty: false };
    writer.write(F.subarray(1024, 1024 + writer.length), ctx);
    expect(ctx.dirty).toBe(false);
    expect(Array.from(F.subarray(1024, 1024 + writer.length))).toEqual(Array.from(expected));
  });
});
