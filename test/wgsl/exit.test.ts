// A Node script that compiles and runs a graph on WGSL, then disposes it, must exit on its own with status 0
// (a hang or a crash in Dawn teardown fails this test; timeout 60 s).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { hasAdapter } from './gpu.ts';

const SCRIPT = `
import { Graph, Tensor, inferShapes } from './src/index.ts';
import wgsl from './runtime/wgsl/index.ts';
const g = new Graph();
const x = g.addInput('x', { dtype: 'float32', shape: [4] });
g.outputs.push(g.addNode('Relu', [x]).outputs[0]);
inferShapes(g);
const m = await wgsl.compile(g);
const out = await m.run({ x: Tensor.fromArray('float32', [4], [-1, 2, -3, 4]) });
console.log('OUT', Array.from(Object.values(out)[0].data).join(','));
await m.dispose();
`;

describe.skipIf(!hasAdapter)('wgsl process lifetime', () => {
  it('a script using the wgsl backend exits by itself after dispose()', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', timeout: 60_000,
    });
    expect(r.error, 'timed out: the process did not exit').toBeUndefined();
    expect(r.stdout).toContain('OUT 0,2,0,4');
    expect(r.status).toBe(0);
  });
});
