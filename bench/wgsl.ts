// WGSL inference latency per model on whatever WebGPU adapter is present (named in the output), next to the
// JS backend and the reference interpreter. Medians of timed runs after warm-up; a backend that cannot run a
// model yet prints why instead of a number.  Usage: npx tsx bench/wgsl.ts [MODEL.layers|.onnx ...] [--batch N]
import { loadModel, inferShapes, Tensor } from '../src/index.ts';
import { getBackend } from '../runtime/backend.ts';
import type { Graph } from '../src/ir/graph.ts';
import { openDevice } from '../runtime/wgsl/device.ts';

const args = process.argv.slice(2);
const batchAt = args.indexOf('--batch');
const batch = batchAt >= 0 ? Number(args.splice(batchAt, 2)[1]) : 1;
const models = args.length ? args : ['examples/lenet_bn.layers', 'examples/mlp_bn.layers', 'examples/resnet_mini.layers', 'examples/mobilenet_block.layers'];

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
  for (const name of ['reference', 'js', 'wgsl']) {
    try {
      const g = await loadModel(path);
      for (const v of g.inputs) v.type = { ...v.type, shape: (v.type.shape ?? []).map((d) => (typeof d === 'number' ? d : batch)) };
      inferShapes(g);
      const m = await (await getBackend(name)).compile(g);
      if (m.info?.adapter) adapter = String(m.info.adapter);
      const feeds = feedsFor(g);
      try { times[name] = await median(() => m.run(feeds)); } finally { await m.dispose(); }
      cells.push(`${name} ${times[name]!.toFixed(2)} ms`);
    } catch (e) {
      cells.push(`${name} n/a (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const ratio = times.js && times.wgsl ? `  wgsl/js ${(times.wgsl / times.js).toFixed(2)}x` : '';
  console.log(`${path} [batch ${batch}]: ${cells.join(' | ')}${ratio}`);
}
