// `npx tsx bench/layernorm-epilogue.ts [--runs N] [--threads T]`: what the row-wise layernorm epilogue step buys
// on the js backend. Each model is optimized at -O2 without fuse-epilogue, then compiled twice by the js lowering:
// with its capabilities as they are (LayerNorm fused into the Gemm/MatMul before it where the pattern allows) and
// with `rowwise: []` (LayerNorm its own kernel; every other fusion the same). Two models:
//   zoo/tiny_vit (2 x 3 x 32 x 32): a pre-norm ViT, where each LayerNorm reads a residual sum the next residual
//     also reads (or a Gather), so nothing fuses and both variants are the same program: a control;
//   a post-norm (BERT-style) encoder written in the DSL below, 2 blocks, [8, 32 tokens, 64 features], 4 heads,
//     MLP 256: LayerNorm(x + proj(attention)) and LayerNorm(h + MLP(h)), all 4 fuse.
// Median (and min) CPU ms per run (process.cpuUsage: the machine is shared), ABBA order; outputs compared.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/ops/index.ts';
import type { Graph } from '../src/ir/graph.ts';
import { Tensor } from '../src/ir/tensor.ts';
import { cloneGraph } from '../src/ir/clone.ts';
import { loadOnnxFile } from '../src/frontend/onnx.ts';
import { compileDsl } from '../src/frontend/dsl.ts';
import { optimize } from '../passes/index.ts';
import { LEVELS, lowerInPlace, lowering } from '../passes/pipelines.ts';
import { JS_CAPABILITIES, compileJs } from '../runtime/js/index.ts';
import { arg, cpuAbba } from './round-robin.ts';

const RUNS = Number(arg('runs', '60')), THREADS = Number(arg('threads', '1'));
const ZOO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared', 'fixtures', 'zoo');

const POST_NORM = `block post_norm(x, dim, heads, mlp) {
  a = x + (x |> multihead_attention(dim, heads))
  h = a |> layernorm
  b = h + (h |> dense(mlp) |> gelu |> dense(dim))
  return b |> layernorm
}
model bert(x: f32[N, 32, 64]) {
  return x |> post_norm(64, 4, 256) |> post_norm(64, 4, 256)
}
`;

function optimized(g: Graph): Graph {
  const c = cloneGraph(g);
  const { repeat, then } = LEVELS[2];
  optimize(c, { passes: [...repeat, ...repeat, ...then.filter((p) => p !== 'fuse-epilogue')] });
  return c;
}

async function measure(name: string, g: Graph, feeds: Record<string, Tensor>): Promise<void> {
  const o = optimized(g);
  const variants = await Promise.all([true, false].map(async (fuse) => {
    const caps = { ...JS_CAPABILITIES, fusion: { ...JS_CAPABILITIES.fusion, rowwise: fuse ? JS_CAPABILITIES.fusion.rowwise : [] } };
    const lowered = cloneGraph(o);
    lowerInPlace(lowered, caps);
    const kernels = lowered.nodes.length;
    const m = await compileJs(o, { threads: THREADS, lower: lowering(caps) });
    return { m, kernels };
  }));
  const { median: [f, u], min: [fm, um], maxDiff: diff } = await cpuAbba([variants[0]!.m, variants[1]!.m], feeds, RUNS);
  console.log(`${name}: LN fused ${f!.toFixed(3)} ms (min ${fm!.toFixed(3)}; ${variants[0]!.kernels} nodes lowered), LN separate ${u!.toFixed(3)} ms `
    + `(min ${um!.toFixed(3)}; ${variants[1]!.kernels} nodes lowered), separate/fused ${(u! / f!).toFixed(2)}x, max |diff| ${diff.toExponential(2)}  [CPU time, median of ${RUNS}, ${THREADS} thread(s)]`);
  for (const v of variants) await v.m.dispose();
}

const wave = (n: number) => Array.from({ length: n }, (_, i) => Math.sin(i));
const vit = loadOnnxFile(join(ZOO, 'tiny_vit', 'model.onnx'));
await measure('zoo/tiny_vit', vit, { [vit.inputs[0]!.name]: Tensor.fromArray('float32', [2, 3, 32, 32], wave(6144)) });
const bert = compileDsl(POST_NORM, 'post_norm.layers', { seed: 1 });
await measure('post-norm encoder [8, 32, 64] x 2 blocks', bert, { [bert.inputs[0]!.name]: Tensor.fromArray('float32', [8, 32, 64], wave(8 * 32 * 64)) });
