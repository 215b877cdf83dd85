// Error sample folders: each test/dsl/errors/<case>/ holds input.layers and expected.json with the
// LayercError code, a message substring and the 1-based line/column the error must point at.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { LayercError } from '../../src/diagnostics.ts';

const dir = join(import.meta.dirname, 'errors');
const cases = readdirSync(dir).sort();

describe('DSL error samples', () => {
  it('has at least 20 cases', () => expect(cases.length).toBeGreaterThanOrEqual(20));
  it.each(cases)('%s', (name) => {
    const src = readFileSync(join(dir, name, 'input.layers'), 'utf8');
    const want = JSON.parse(readFileSync(join(dir, name, 'expected.json'), 'utf8')) as { code: string; message: string; line: number; column: number };
    let err: unknown;
    try { compileDsl(src, 'input.layers'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(LayercError);
    const e = err as LayercError;
    expect(e.code).toBe(want.code);
    expect(e.message).toContain(want.message);
    expect(e.context.span?.line).toBe(want.line);
    expect(e.context.span?.column).toBe(want.column);
    const text = e.format();
    expect(text).toContain(`input.layers:${want.line}:${want.column}`);
    const lines = text.split('\n');
    const caretLine = lines.find((l) => /^\s+\|\s*\^+$/.test(l.replace(/ +$/, '')) || /\| +\^/.test(l));
    expect(caretLine, text).toBeDefined();
    expect(text).toContain(src.split('\n')[want.line - 1]);
  });
});
