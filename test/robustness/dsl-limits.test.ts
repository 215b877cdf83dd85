// DSL source limits (issue #16): a program's size, statement count and identifier length are checked by a
// linear pre-scan before the grammar runs (ohm memoizes per position, so huge inputs exhausted the heap);
// all weights of a program count against the total memory budget; a UTF-8 BOM is accepted; long source
// lines are shown as a window around the caret.
import { afterEach, describe, expect, it } from 'vitest';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { Tensor } from '../../src/ir/tensor.ts';

function errorOf(src: string): LayercError {
  try { compileDsl(src, 'big.layers'); } catch (e) { expect(e).toBeInstanceOf(LayercError); return e as LayercError; }
  throw new Error('accepted');
}
const saved = { ...process.env };
afterEach(() => { for (const k of Object.keys(process.env)) if (k.startsWith('LAYERC_') && !(k in saved)) delete process.env[k]; });

const MLP = 'model m(x: f32[N, 4]) {\n  y = x |> dense(3) |> relu\n  return y\n}\n';

describe('DSL limits are checked before parsing', () => {
  it('200k statements (5 MB) -> LC085 naming LAYERC_MAX_DSL_STATEMENTS, in well under a second', () => {
    const body = Array.from({ length: 200_000 }, (_, i) => `  a${i} = x`).join('\n');
    const t0 = performance.now();
    const e = errorOf(`model m(x: f32[1, 2]) {\n${body}\n  return x\n}\n`);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e.code).toBe('LC085');
    expect(e.message).toContain('LAYERC_MAX_DSL_STATEMENTS');
    expect(e.context.span?.line).toBe(20_002); // the first statement past the limit
  });

  it('a 10M-character identifier is past the program size; a 3M one -> LC085 at its position, the echoed line a window', () => {
    expect(errorOf(`model m(x: f32[1, 2]) {\n  y = x |> ${'r'.repeat(10_000_000)}\n  return y\n}\n`).message).toContain('LAYERC_MAX_DSL_BYTES');
    const t0 = performance.now();
    const e = errorOf(`model m(x: f32[1, 2]) {\n  y = x |> ${'r'.repeat(3_000_000)}\n  return y\n}\n`);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(e.code).toBe('LC085');
    expect(e.message).toContain('LAYERC_MAX_IDENTIFIER_LENGTH');
    expect([e.context.span?.line, e.context.span?.column]).toEqual([2, 12]);
    expect(e.format().length).toBeLessThan(1000);
  });

  it('the program size limit, set by LAYERC_MAX_DSL_BYTES', () => {
    process.env.LAYERC_MAX_DSL_BYTES = String(MLP.length - 1);
    expect(errorOf(MLP).code).toBe('LC085');
    process.env.LAYERC_MAX_DSL_BYTES = String(MLP.length);
    expect(() => compileDsl(MLP, 'm.layers')).not.toThrow();
  });

  it('keyword arguments and block defaults are not statements; bindings and returns are', () => {
    process.env.LAYERC_MAX_DSL_STATEMENTS = '2';
    expect(() => compileDsl('block b(x, k = 1) {\n  return x\n}\nmodel m(x: f32[1, 3, 8, 8]) {\n  return x |> conv2d(2, kernel=3, stride=1, pad=1) |> b(k=2)\n}\n', 'm.layers')).not.toThrow();
    expect(errorOf(MLP.replace('return y', 'z = y\n  return z')).code).toBe('LC085');
  });

  it('weights count against the total budget: two dense(2^28) layers, each under the per-tensor limit, are refused', () => {
    const e = errorOf('model m(x: f32[1, 1]) {\n  a = x |> dense(268435456, bias=false)\n  b = x |> dense(268435456, bias=false)\n  return a, b\n}\n');
    expect(e.code).toBe('LC085');
    expect(e.message).toContain('LAYERC_MAX_TOTAL_BYTES');
    expect(e.context.span?.line).toBe(3);
  });

  it('a UTF-8 BOM is accepted (same graph, same outputs as without it)', () => {
    const a = compileDsl(MLP, 'm.layers'), b = compileDsl(`\uFEFF${MLP}`, 'm.layers');
    const x = Tensor.fromArray('float32', [2, 4], [1, -2, 3, -4, 5, -6, 7, -8]);
    expect(Array.from(runGraph(b, { x }).y.data)).toEqual(Array.from(runGraph(a, { x }).y.data));
    // Positions after a BOM are those an editor shows.
    const e = errorOf(`\uFEFF${MLP.replace('dense(3)', 'dense(3, stride=2)')}`);
    expect([e.context.span?.line, e.context.span?.column]).toEqual([2, 21]);
  });
});
