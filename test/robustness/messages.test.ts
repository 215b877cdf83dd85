// Messages echo their input but never all of it (issue #16: a 2M-element perm gave 16.9 MB of stderr, a long
// line a 200 KB caret line): the catalogue caps every argument, lists end in "... and N more", and a long
// source line is shown as a window around the caret.
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx.ts';
import { LayercError, clipList, clipSourceLine, clipText, lcError } from '../../src/diagnostics.ts';
import { model, vi } from '../onnx/build.ts';

describe('messages truncate what they echo', () => {
  it('a Transpose with a 2M-element perm: the error is a few hundred bytes, and says how much was left out', () => {
    const perm = Array.from({ length: 2_000_000 }, (_, i) => i);
    let err: unknown;
    try { importOnnx(model([{ opType: 'Transpose', name: 't', input: ['x'], output: ['y'], attribute: [{ name: 'perm', type: 7, ints: perm }] }])); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(LayercError);
    const text = (err as LayercError).format();
    expect(text.length).toBeLessThan(1500);
    expect(text).toMatch(/more characters\)/);
  });
  it('clipText / clipList / clipSourceLine', () => {
    expect(clipText('abc', 5)).toBe('abc');
    expect(clipText('abcdefgh', 5)).toBe('abcde... (3 more characters)');
    expect(clipList([1, 2, 3, 4, 5], 3)).toBe('1, 2, 3, ... and 2 more');
    const line = 'x'.repeat(1000) + 'BAD' + 'y'.repeat(1000);
    const w = clipSourceLine(line, 1001, 3, 100);
    expect(w.text.length).toBeLessThanOrEqual(106);
    expect(w.text.slice(w.column - 1, w.column - 1 + w.length)).toBe('BAD');
  });
  it('every catalogue argument is capped', () => {
    expect(lcError('LC032', ['z'.repeat(100_000)]).message.length).toBeLessThan(500);
  });
});
