// The js kernel table (runtime/js/kernels/index.ts) is the only dispatch: a kernel whose op has no row is never
// reached and its nodes silently run the reference fallback. Every op a kernel file tests for must be a row.
// Also the key under which a program shares one emitted wasm body between layers of one shape (ctx.code).
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KERNELS } from '../../runtime/js/kernels/index.ts';
import { codeKey } from '../../runtime/js/program.ts';
import { REPO_ROOT } from '../fixtures.ts';
import '../../src/ops/index.ts';

describe('js kernel table', () => {
  it('has a row for every op a kernel accepts', () => {
    const dir = join(REPO_ROOT, 'runtime/js/kernels');
    const named = new Set<string>();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && n !== 'index.ts')) {
      const src = readFileSync(join(dir, f), 'utf8');
      for (const m of src.matchAll(/\bop (?:===|!==) '([A-Za-z0-9]+)'/g)) named.add(m[1]!);
      for (const m of src.matchAll(/\[((?:'[A-Za-z0-9]+',?\s*)+)\]\.includes\(node\.op\)/g)) for (const o of m[1]!.matchAll(/'([A-Za-z0-9]+)'/g)) named.add(o[1]!);
    }
    const rows = new Set(Object.keys(KERNELS).map((k) => k.replace(/^ai\.layerc::/, '')));
    expect(named.size).toBeGreaterThan(30);
    expect([...named].filter((op) => !rows.has(op))).toEqual([]);
  });
});

describe('emitted wasm bodies shared between layers of one shape (runtime/js/program.ts ctx.code)', () => {
  it('keys params by value, telling apart what JSON merges (-0 and 0; NaN, the infinities and null; strings that spell them)', () => {
    expect(codeKey({ M: 4, steps: [{ kind: 'act', name: 'Relu' }], t: [1, 2] })).toBe(codeKey({ M: 4, steps: [{ kind: 'act', name: 'Relu' }], t: [1, 2] }));
    const distinct = [0, -0, NaN, Infinity, -Infinity, null, '#-0', '#NaN', '0', 1].map((v) => codeKey({ alpha: v }));
    expect(new Set(distinct).size).toBe(distinct.length);
    expect(codeKey({ a: 1, b: 2 })).not.toBe(codeKey({ a: 2, b: 1 }));
  });
});
