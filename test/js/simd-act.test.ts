// Every SIMD activation form (runtime/js/wasm/simd-act.ts) against the shared table's scalar truth
// (ACTIVATIONS[name].ref in float64), run through the standalone wasm loop (runtime/js/wasm/unary.ts) on
// inputs across the whole float range: tiny, around 0, the exp range limits (±88), saturation and beyond.
// Sigmoid and Tanh use a polynomial exp: a few float32 ulps, and an absolute ~1e-7 for tanh near 0.
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '../../src/ops/activations.ts';
import { hasSimdActivation } from '../../runtime/js/wasm/simd-act.ts';
import { emitUnary } from '../../runtime/js/wasm/unary.ts';
import { encodeModule } from '../../runtime/js/wasm/encode.ts';
import { lcg } from '../helpers/random.ts';

const PARAMS: Record<string, Record<string, number>> = { LeakyRelu: { alpha: 0.07 }, Clip: { min: -0.4, max: 1.7 }, HardSigmoid: { alpha: 0.3, beta: 0.4 } };

function inputs(): Float32Array {
  const rnd = lcg(9);
  const xs = [0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 1e-3, -1e-3, 0.5, -0.5, 1, -1, 3, -3, 20, -20, 44, -44, 87, -87, 88, -88, 89, -89, 100, -100, 1e30, -1e30];
  for (let i = 0; i < 4000; i++) xs.push((rnd() * 2 - 1) * (rnd() < 0.5 ? 10 : 100));
  return Float32Array.from(xs);
}

describe('SIMD activation forms vs the reference table', () => {
  for (const name of Object.keys(ACTIVATIONS).filter(hasSimdActivation)) {
    it(name, async () => {
      const params = { ...ACTIVATIONS[name]!.params, ...PARAMS[name] };
      const wasm = encodeModule([{ name: 'f', code: emitUnary({ name, params }) }], { initial: 1, maximum: 1, shared: false });
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
      const { instance } = await WebAssembly.instantiate(wasm as BufferSource, { env: { memory } });
      const x = inputs(), F = new Float32Array(memory.buffer);
      F.set(x, 0);
      (instance.exports.f as (x: number, y: number, n4: number) => void)(0, x.length * 4, x.length / 4);
      for (let i = 0; i < x.length; i++) {
        const want = ACTIVATIONS[name]!.ref(x[i]!, params), got = F[x.length + i]!;
        if (!(Math.abs(got - want) <= 2e-7 + 1e-6 * Math.abs(want))) expect.fail(`${name}(${x[i]}) = ${got}, reference ${want}`);
      }
    });
  }
});
