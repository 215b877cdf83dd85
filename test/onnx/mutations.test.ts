// Random byte flips and truncations of real ONNX files: the importer answers with a graph or a
// LayercError, never another exception (the robustness fuzz suite goes much further).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { isLayercError } from '../../src/diagnostics.ts';
import { NODE_TESTS } from '../fixtures.ts';

const sources = ['test_relu', 'test_reshape_negative_dim', 'test_softmax_axis_1_expanded'].map((c) => readFileSync(join(NODE_TESTS, c, 'model.onnx')));

describe('importer on mutated files', () => {
  it('only LayercErrors', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: sources.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.option(fc.nat()),
      (which, flips, cut) => {
        const b = new Uint8Array(sources[which]);
        for (const [pos, val] of flips) b[pos % b.length] = val;
        const bytes = cut === null ? b : b.subarray(0, cut % b.length);
        try { importOnnx(bytes); } catch (e) {
          if (!isLayercError(e)) throw e;
          expect(e.message).not.toMatch(/unexpected structure/); // an unchecked field reached a JS exception
        }
      },
    ), { numRuns: 300, seed: 7 });
  });
});
