// A Node script that runs a graph on the js backend with 2 worker threads and disposes it must exit on its
// own with status 0 (a worker left waiting on the barrier or the go word would hang it; timeout 60 s).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

const SCRIPT = `
import { Graph, Tensor, inferShapes } from './src/index.ts';
import js from './runtime/js/index.ts';
const g = new Graph();
const x = g.addInput('x', { dtype: 'float32', shape: [1, 1, 2, 2] });
g.outputs.push(g.addNode('Relu', [x]).outputs[0]);
inferShapes(g);
const m = await js.compile(g, { threads: 2 });
const out = await m.run({ x: Tensor.fromArray('float32', [1, 1, 2, 2], [-1, 2, -3, 4]) });
console.log('OUT', Array.from(Object.values(out)[0].data).join(','), m.info.threads);
await m.dispose();
`;

describe('js process lifetime', () => {
  it('a script using the js backend with 2 threads exits by itself after dispose()', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', timeout: 60_000,
    });
    expect(r.error, 'timed out: the process did not exit').toBeUndefined();
    expect(r.stdout).toContain('OUT 0,2,0,4 2');
    expect(r.status).toBe(0);
  });
});
