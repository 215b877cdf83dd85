// The activation table's reference semantics (src/ops/activations.ts) against onnxruntime-node: every
// activation op, on random inputs around its kinks (0, +-3 for HardSwish, the HardSigmoid corners) and with
// random attribute values, including the ones without an ONNX node test in the fixtures (HardSigmoid, HardSwish).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tensor } from '../../src/ir/tensor.ts';
import { ACTIVATIONS } from '../../src/ops/activations.ts';
import { runOrt, runRef } from '../helpers/single-node.ts';
import { maxAbsDiff } from '../helpers/random.ts';

const ops = Object.keys(ACTIVATIONS).filter((k) => k !== 'Clip'); // Clip takes inputs: test/ops/elementwise.test.ts

describe('activations vs onnxruntime', () => {
  it('covers the whole table', () => expect(ops.sort()).toEqual(['HardSigmoid', 'HardSwish', 'LeakyRelu', 'Relu', 'Sigmoid', 'Tanh']));

  for (const op of ops) {
    it(`${op} with random attributes`, async () => {
      const attr = fc.record({ alpha: fc.double({ min: -2, max: 2, noNaN: true }), beta: fc.double({ min: -1, max: 1, noNaN: true }) });
      const values = fc.array(fc.oneof(fc.double({ min: -8, max: 8, noNaN: true }), fc.constantFrom(0, -0, 3, -3, 2.5, -2.5, 1e-8, -1e-8, 20, -20)), { minLength: 1, maxLength: 24 });
      await fc.assert(fc.asyncProperty(values, attr, fc.boolean(), async (xs, a, useAttrs) => {
        const params = Object.keys(ACTIVATIONS[op].params);
        const attrs = useAttrs ? Object.fromEntries(params.map((k) => [k, Math.fround(a[k as 'alpha' | 'beta'])])) : {};
        const c = { op, inputs: [Tensor.fromArray('float32', [xs.length], xs)], attrs };
        const [want] = await runOrt(c);
        expect(maxAbsDiff(runRef(c).outputs[0], want)).toBeLessThanOrEqual(1e-6);
      }), { seed: 20261123, numRuns: 20 });
    });
  }
});
