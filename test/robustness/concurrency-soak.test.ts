// Concurrency (issue #16): many compiled models in one process, and `run` called concurrently on one compiled
// model (js with worker threads, wgsl, reference), give exactly the results of sequential runs; a soak of a
// few thousand mixed calls, bounded in time, checks every result and that memory stays flat.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileDsl } from '../../src/frontend/dsl.ts';
import { getBackend, type CompiledModel } from '../../runtime/backend.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { mulberry32 } from '../../src/random.ts';
import { REPO_ROOT } from '../fixtures.ts';
import { hasAdapter } from '../wgsl/gpu.ts';

const SRC = readFileSync(join(REPO_ROOT, 'examples/mlp_bn.layers'), 'utf8');
const CNN = 'model cnn(x: f32[N, 1, 8, 8]) {\n  y = x |> conv2d(4, kernel=3, pad=1) |> relu |> maxpool(2) |> flatten |> dense(5)\n  return y\n}\n';

function input(shape: number[], seed: number): Tensor {
  const r = mulberry32(seed);
  return Tensor.fromArray('float32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));
}

describe('concurrent runs', () => {
  it('soak: thousands of mixed concurrent calls on shared models equal the sequential results; memory stays flat', async () => {
    const graphs = [compileDsl(SRC, 'mlp_bn.layers'), compileDsl(CNN, 'cnn.layers')];
    const inputName = graphs.map((g) => g.inputs.find((v) => !v.const)!);
    const shapeOf = (k: number, n: number) => inputName[k].type.shape!.map((d) => (typeof d === 'number' ? d : n));
    const backends = ['reference', 'js', ...(hasAdapter ? ['wgsl'] : [])];
    const models: { name: string; k: number; m: CompiledModel }[] = [];
    for (const b of backends) for (let k = 0; k < graphs.length; k++) {
      models.push({ name: `${b}/${k}`, k, m: await (await getBackend(b)).compile(graphs[k], { threads: 2 }) });
      if (b === 'js') models.push({ name: `js1/${k}`, k, m: await (await getBackend(b)).compile(graphs[k], { threads: 1 }) });
    }
    // The cases and their sequential results (reference, one call at a time).
    const cases = Array.from({ length: 24 }, (_, i) => ({ k: i % 2, feeds: { [inputName[i % 2].name]: input(shapeOf(i % 2, 1 + (i % 3)), i) } }));
    const ref = models.filter((m) => m.name.startsWith('reference'));
    const want: Record<string, Tensor>[] = [];
    for (const c of cases) want.push(await ref[c.k].m.run(c.feeds));
    const check = (out: Record<string, Tensor>, i: number, who: string) => {
      for (const [name, t] of Object.entries(want[i])) {
        const got = out[name];
        expect(got?.shape, who).toEqual(t.shape);
        let worst = 0;
        for (let j = 0; j < t.size; j++) worst = Math.max(worst, Math.abs(got.data[j] - t.data[j]));
        expect(worst, `${who} case ${i} ${name}`).toBeLessThan(1e-4);
      }
    };
    const r = mulberry32(99);
    const round = async (calls: number) => {
      const pending: Promise<void>[] = [];
      for (let c = 0; c < calls; c++) {
        const i = Math.floor(r() * cases.length);
        const ms = models.filter((m) => m.k === cases[i].k);
        const m = ms[Math.floor(r() * ms.length)];
        pending.push(m.m.run(cases[i].feeds).then((out) => check(out, i, m.name)));
      }
      await Promise.all(pending);
    };
    await round(300); // warm-up: every (model, input shape) specialized once
    globalThis.gc?.();
    const before = process.memoryUsage();
    const t0 = performance.now();
    let calls = 300;
    for (; calls < 3000 && performance.now() - t0 < 20_000; calls += 300) await round(300);
    globalThis.gc?.();
    const after = process.memoryUsage();
    const mb = (x: number) => Math.round(x / 2 ** 20);
    console.log(`soak: ${calls} calls on ${models.length} models in ${Math.round(performance.now() - t0)} ms; heapUsed ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MB, rss ${mb(before.rss)} -> ${mb(after.rss)} MB`);
    expect(calls).toBeGreaterThanOrEqual(1200);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(64 * 2 ** 20);
    expect(after.rss - before.rss).toBeLessThan(256 * 2 ** 20);
    for (const m of models) await m.m.dispose();
  }, 90_000);
});
