// The named pass pipelines. Two kinds, run by the caller (CLI, library API, trainer, bench, tests), never by
// a backend:
//   optimize levels (-O0/-O1/-O2): target-independent rewrites whose result is still standard ONNX
//     (`layerc optimize` writes it);
//   lowering for a backend: what the chosen backend's capabilities (src/ops/backend-capabilities.ts) ask for, so an
//     unoptimized (-O0) model still runs folded and fused (onnxruntime does the same with its own graph
//     optimizations). It may produce layerc-only ops (ai.layerc::Fused, ai.layerc::JsElementwise):
//       fold-constants      Shape of a static value and all-constant nodes become constants, so a training
//                           graph's Reshape(dY, Shape(x)) gets a static shape and a kernel;
//       recompose-ops       exported LayerNorm / GELU subgraphs -> LayerNormalization / Gelu (one kernel each,
//                           and a Gelu joins the MatMul/Gemm epilogue below);
//       fold-batchnorm      inference BatchNormalization folded into the adjacent Conv/Gemm/MatMul;
//       fuse-attention      scaled dot-product attention -> ai.layerc::Attention (capabilities.attention);
//       fuse-epilogue       activations, bias/residual Adds, per-channel Muls absorbed into a Fused base
//                           (what fuses: capabilities.fusion, the backend's FusionCapabilities);
//       fuse-elementwise    elementwise chains merged into one JS loop (capabilities.elementwiseChains).
//     Every rewrite needs the producer's output to have one user and not be a graph output, so a training
//     graph keeps its forward ops separate. After -O2 there is usually little left to do.
// The runtime's compile path calls the lowering on each shape-specialized copy of the graph (runtime/compile.ts
// takes it as `lower`), because specialization makes more shapes static and so more foldable.
import type { Graph } from '../src/ir/graph.ts';
import type { BackendCapabilities } from '../src/ops/backend-capabilities.ts';
import { runPasses, type Pass, type PassReport } from './pass.ts';
import { foldConstants } from './fold-constants.ts';
import { foldBatchnorm } from './fold-batchnorm.ts';
import { fuseEpilogueFor } from './fuse-epilogue.ts';
import { fuseElementwiseChains } from './fuse-elementwise.ts';
import { fuseAttention } from './fuse-attention.ts';
import { recomposeOps } from './recompose-ops.ts';

const O1 = ['fold-constants', 'eliminate-identity', 'recompose-ops', 'simplify-inference', 'fold-batchnorm', 'eliminate-common-subexpressions', 'eliminate-dead-code'];

/**
 * The -O levels: `repeat` runs round after round until a round changes nothing (at most `rounds`), then `then`
 * runs once. -O0: nothing. -O1: one round of folding and cleanup. -O2: the same rewrites to a fixpoint (one pass
 * can open a rewrite for another: dead-code elimination leaves a conv output with a single user, and the next
 * round folds its BatchNormalization), then fusion into ai.layerc::Fused kernels.
 */
export const LEVELS: Record<0 | 1 | 2, { repeat: string[]; rounds: number; then: string[] }> = {
  0: { repeat: [], rounds: 1, then: [] },
  1: { repeat: O1, rounds: 1, then: [] },
  2: { repeat: O1, rounds: 4, then: ['fuse-attention', 'fuse-epilogue', 'eliminate-dead-code'] },
};

/** Each level as one flat pass list (one round of `repeat`, then `then`). */
export const PIPELINES: Record<0 | 1 | 2, string[]> = {
  0: [...LEVELS[0].repeat, ...LEVELS[0].then],
  1: [...LEVELS[1].repeat, ...LEVELS[1].then],
  2: [...LEVELS[2].repeat, ...LEVELS[2].then],
};

/** "-O2: a, b to a fixpoint (at most 4 rounds), then c" for --list-passes. */
export function describeLevel(level: 0 | 1 | 2): string {
  const { repeat, rounds, then } = LEVELS[level];
  if (!repeat.length && !then.length) return '(none)';
  return [repeat.length ? `${repeat.join(', ')}${rounds > 1 ? ` to a fixpoint (at most ${rounds} rounds)` : ''}` : '', then.length ? `then ${then.join(', ')}` : '']
    .filter(Boolean).join(', ');
}

type Options = Record<string, Record<string, number | boolean | string>>;

/** The lowering pipeline a backend's capabilities ask for: passes and their options. */
export function lowerFor(caps: BackendCapabilities): { passes: Pass[]; options: Options } {
  if (!caps.kernels) return { passes: [], options: {} };
  const passes: Pass[] = [foldConstants, recomposeOps, foldBatchnorm];
  const options: Options = {};
  if (caps.attention) passes.push(fuseAttention);
  if (Object.keys(caps.fusion.bases).length) passes.push(fuseEpilogueFor(caps.fusion));
  if (caps.elementwiseChains) {
    passes.push(fuseElementwiseChains);
    options[fuseElementwiseChains.name] = { separate: caps.elementwiseChains.separate.join(',') };
  }
  return { passes, options };
}

/** Lowers `g` in place for a backend with `caps`; one report per pass. */
export function lowerInPlace(g: Graph, caps: BackendCapabilities): PassReport[] {
  const { passes, options } = lowerFor(caps);
  return runPasses(g, passes, options);
}

/** The lowering as the hook the runtime's compile path takes (BackendOptions.lower). */
export function lowering(caps: BackendCapabilities): (g: Graph) => void {
  return (g) => { lowerInPlace(g, caps); };
}
