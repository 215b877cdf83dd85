// `npx tsx bench/attention.ts [--runs N] [--threads T]`: what fuse-attention buys on the js backend. Two graphs,
// each compiled twice from the same -O2 graph: with the js lowering as it is (ai.layerc::Attention, the streaming
// kernel) and with attention fusion off everywhere (MatMul, Softmax, MatMul kernels with the scores in memory):
//   zoo/tiny_vit (2 x 3 x 32 x 32; 2 blocks of 8 heads x 17 tokens x 12 dims), and
//   one synthetic block [1, 4 heads, 256 tokens, 32 dims] with a [256, 256] mask (the scores: 1 MB per run).
// Median (and min) CPU ms per run (process.cpuUsage: the machine is shared, wall time mostly measures the neighbours), variants alternating ABBA so drift and run order hit them alike; outputs of the two variants are compared.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/ops/index.ts';
import type { Graph } from '../src/ir/graph.ts';
import { Tensor } from '../src/ir/tensor.ts';
import { cloneGraph } from '../src/ir/clone.ts';
import { loadOnnxFile } from '../src/frontend/onnx.ts';
import { optimize } from '../passes/index.ts';
import { LEVELS, lowering } from '../passes/pipelines.ts';
import { JS_CAPABILITIES, compileJs } from '../runtime/js/index.ts';
import { attentionGraph } from '../test/passes/attention-graphs.ts';
import { arg, cpuAbba } from './round-robin.ts';

const RUNS = Number(arg('runs', '40')), THREADS = Number(arg('threads', '1'));
const ZOO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared', 'fixtures', 'zoo');

/** -O2 with or without fuse-attention (and the js lowering likewise). */
function optimized(g: Graph, fuse: boolean): Graph {
  const c = cloneGraph(g);
  const { repeat, then } = LEVELS[2];
  optimize(c, { passes: [...repeat, ...repeat, ...then.filter((p) => fuse || p !== 'fuse-attention')] });
  return c;
}

async function measure(name: string, g: Graph, feeds: Record<string, Tensor>): Promise<void> {
  const variants = await Promise.all([true, false].map(async (fuse) => {
    const o = optimized(g, fuse);
    const m = await compileJs(o, { threads: THREADS, lower: lowering({ ...JS_CAPABILITIES, attention: fuse }) });
    return { fuse, m, ops: o.nodes.length };
  }));
  const { median: [f, u], min: [fm, um], maxDiff: diff } = await cpuAbba([variants[0]!.m, variants[1]!.m], feeds, RUNS);
  console.log(`${name}: fused ${f!.toFixed(3)} ms (min ${fm!.toFixed(3)}; ${variants[0]!.ops} nodes), unfused ${u!.toFixed(3)} ms (min ${um!.toFixed(3)}; `
    + `${variants[1]!.ops} nodes), unfused/fused ${(u! / f!).toFixed(2)}x, max |diff| ${diff.toExponential(2)}  [CPU time, median of ${RUNS}, ${THREADS} thread(s)]`);
  for (const v of variants) await v.m.dispose();
}

const vit = loadOnnxFile(join(ZOO, 'tiny_vit', 'model.onnx'));
const x = Tensor.fromArray('float32', [2, 3, 32, 32], Array.from({ length: 6144 }, (_, i) => Math.sin(i)));
await measure('zoo/tiny_vit', vit, { [vit.inputs[0]!.name]: x });
const block = attentionGraph({ lead: [1, 4], T: 256, S: 256, D: 32, Dv: 32, scaleOn: 'q', div: true, constFirst: false, k: 'swap', qvHeads: false, outHeads: false,
  mask: [256, 256], maskFirst: false, positiveAxis: false, mag: 1, seed: 5 });
await measure('attention block [1, 4, 256, 32] + mask', block.g, block.feeds);
