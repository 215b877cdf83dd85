// WGSL inference latency per model on whatever WebGPU adapter is present (named in the output), next to the
// JS backend (1 thread, and the default thread count) and the reference interpreter. Medians of timed runs after
// warm-up (the first run compiles the pipelines); a backend that cannot run a model prints why instead of a number.
// The wgsl column also says how many dispatches a run encodes and whether any node fell back to the host.
// Usage: npx tsx bench/wgsl.ts [MODEL.layers|.onnx ...] [--batch N]
import { existsSync } from 'node:fs';
import { loadModel, inferShapes, Tensor } from '../src/index.ts';
import { compileFor } from '../src/compile-for.ts';
import type { Graph } from '../src/ir/graph.ts';
import { openDevice } from '../runtime/wgsl/device.ts';

const args = process.argv.slice(2);
const batchAt = args.indexOf('--batch');
const batch = batchAt >= 0 ? Number(args.splice(batchAt, 2)[1]) : 1;
const DEFAULT_MODELS = ['examples/lenet_bn.layers', 'examples/mlp_bn.layers', 'examples/resnet_mini.layers', 'examples/mobilenet_block.layers',
  '../shared/fixtures/models/squeezenet1_1/model.onnx', 'bench/.models/mobilenetv2.onnx', 'bench/.models/resnet18.onnx'];
const models = args.length ? args : DEFAULT_MODELS.filter((p) => existsSync(p));

function feedsFor(g: Graph): Record<string, Tensor> {
  return Object.fromEntries(g.inputs.map((v) => {
    const shape = (v.type.shape ?? []).map((d) => (typeof d === 'number' ? d : batch));
    const t = Tensor.zeros('float32', shape);
    for (let i = 0; i < t.size; i++) (t.data as Float32Array)[i] = Math.sin(i);
    return [v.name, t];
  }));
}

async function median(run: () => Promise<unknown>, reps = 15): Promise<number> {
  for (let i = 0; i < 3; i++) await run();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); await run(); ts.push(performance.now() - t0); }
  return ts.sort((a, b) => a - b)[Math.floor(reps / 2)]!;
}

let adapter = '(none)';
try { const ctx = await openDevice(); adapter = ctx.adapterName; ctx.device.destroy(); } catch (e) { adapter = `none: ${(e as Error).message}`; }
console.log(`WebGPU adapter: ${adapter}`);
for (const path of models) {
  const cells: string[] = [];
  const times: Record<string, number> = {};
  for (const [label, name, threads] of [['reference', 'reference', 0], ['js-1t', 'js', 1], ['js', 'js', 0], ['wgsl', 'wgsl', 0]] as const) {
    try {
      const g = await loadModel(path);
      for (const v of g.inputs) v.type = { ...v.type, shape: (v.type.shape ?? []).map((d) => (typeof d === 'number' ? d : batch)) };
      inferShapes(g);
      if (label === 'reference' && g.nodes.length > 60) { cells.push('reference (skipped: large)'); continue; }
      const m = await compileFor(name, g, threads ? { threads } : {});
      const feeds = feedsFor(g);
      try { times[label] = await median(() => m.run(feeds), label === 'reference' ? 3 : 15); } finally { await m.dispose(); }
      if (m.info?.adapter) adapter = String(m.info.adapter);
      const extra = name === 'wgsl' ? ` (${m.info?.kernels} dispatches${m.info?.hostFallback ? `, host: ${m.info.hostFallback}` : ''})` : '';
      cells.push(`${label} ${times[label]!.toFixed(2)} ms${extra}`);
    } catch (e) {
      cells.push(`${label} n/a (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const ratio = times['js-1t'] && times.wgsl ? `  wgsl/js-1t ${(times.wgsl / times['js-1t']).toFixed(2)}x` : '';
  console.log(`${path} [batch ${batch}]: ${cells.join(' | ')}${ratio}`);
}
