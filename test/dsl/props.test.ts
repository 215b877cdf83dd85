// Properties of the DSL front end: random well-formed pipelines compile with inferred shapes, and the
// pretty-printed program compiles to the same IR; random mutations of valid programs only ever fail
// with a LayercError (never a JS exception).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileDsl, parseDsl, printDsl } from '../../src/frontend/dsl.ts';
import { printGraph } from '../../src/ir/printer.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { arbProgram, arbProgramWithShape } from './gen.ts';

const examplesDir = join(import.meta.dirname, '../../examples');
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.layers')).map((f) => readFileSync(join(examplesDir, f), 'utf8'));

describe('DSL properties', () => {
  it('random pipelines compile, infer every shape, and print -> reparse gives the same IR', () => {
    fc.assert(fc.property(arbProgramWithShape, fc.nat(1000), ({ src, shape }, seed) => {
      const g1 = compileDsl(src, 'random.layers', { seed });
      for (const n of g1.nodes) for (const o of n.outputs) expect(o.type.shape, `${n.name} in\n${src}`).not.toBeNull();
      // The output shape the generator worked out with the textbook formulas (independent of the shape rules).
      expect(g1.outputs[0].type.shape, src).toEqual(shape);
      const printed = printDsl(parseDsl(src, 'random.layers'));
      const g2 = compileDsl(printed, 'printed.layers', { seed });
      expect(printGraph(g2)).toBe(printGraph(g1));
      g1.initializers.forEach((v, i) => expect(Array.from(g2.initializers[i].const!.data)).toEqual(Array.from(v.const!.data)));
    }), { numRuns: 60, seed: 1234 });
  });

  it('the examples print -> reparse to the same IR', () => {
    for (const src of examples) {
      const printed = printDsl(parseDsl(src, 'e.layers'));
      expect(printGraph(compileDsl(printed, 'p.layers'))).toBe(printGraph(compileDsl(src, 'e.layers')));
    }
  });

  const TOKENS = ['|>', '+', '(', ')', ',', '=', '"same"', 'relu', 'dense', 'x', 'y', '0', '-1', '1e9', '99999', 'return', 'block', '{', '}', '#', '\n', 'name="x"', 'true'];
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 6 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 3 })) }),
    fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
  );
  const apply = (src: string, ms: { kind: string; at: number; len?: number; text?: string; to?: number }[]): string => {
    let s = src;
    for (const m of ms) {
      const at = m.at % (s.length + 1);
      if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + (m.len ?? 1));
      else if (m.kind === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
      else {
        const to = (m.to ?? 0) % (s.length || 1);
        const chars = [...s];
        [chars[at % (chars.length || 1)], chars[to]] = [chars[to], chars[at % (chars.length || 1)]];
        s = chars.join('');
      }
    }
    return s;
  };

  it('random mutations of valid programs fail only with LayercError', () => {
    const base = fc.oneof(fc.constantFrom(...examples), arbProgram);
    fc.assert(fc.property(base, fc.array(mutation, { minLength: 1, maxLength: 4 }), (src, ms) => {
      const mutated = apply(src, ms);
      try {
        compileDsl(mutated, 'mutated.layers');
      } catch (e) {
        if (!(e instanceof LayercError)) throw new Error(`non-LayercError on:\n${mutated}\n${(e as Error).stack}`);
        expect(e.context.span ?? e.context.file).toBeDefined();
      }
    }), { numRuns: 300, seed: 42 });
  });
});
