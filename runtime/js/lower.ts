// Backend lowering: the rewrites the js kernels rely on to keep outputs in registers, applied to a copy of
// the graph so an unoptimized (-O0) model still runs fused (onnxruntime does the same with its own graph
// optimizations). They are the optimizer's own passes, not copies of them:
//   fold-constants (foldConstantsInPlace): Shape of a statically shaped value and nodes whose inputs are all
//     constants become constants, so a training graph's Reshape(dY, Shape(x)) gets a static shape and a
//     kernel instead of sending the whole graph to the interpreter;
//   fold-batchnorm: BatchNormalization (inference, constant statistics) folded into the adjacent Conv/Gemm;
//   fuse-epilogue: activations, bias/residual Adds and per-channel Muls absorbed into ai.layerc::Fused.
// The WGSL backend runs the same lowering (lowerForJs). The js backend then adds its own step, which the
// optimizer has no equivalent of (it would need every backend to run arbitrary JS): chains of elementwise
// ops merged into one loop each (./fuse-elementwise.ts; lowerForJsKernels).
// Every rewrite needs the producer's output to have one user and not be a graph output, so a training graph
// (whose backward ops read the forward activations) keeps its forward ops separate. After `-O2` there is
// usually nothing left to do here.
import type { Graph } from '../../src/ir/graph.ts';
import { cloneGraph } from '../../src/ir/clone.ts';
import { foldConstantsInPlace } from '../../passes/fold-constants.ts';
import { foldBatchnorm } from '../../passes/fold-batchnorm.ts';
import { fuseEpilogueFor } from '../../passes/fuse-epilogue.ts';
import type { FusionCapabilities } from '../../src/ops/fused-contract.ts';
import { JS_FUSION } from './fusion.ts';
import { runPasses } from '../../passes/pass.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { fuseElementwise } from './fuse-elementwise.ts';

/** A lowered copy of `graph` (the input graph is not changed), fused as far as `fusion` (the backend's) allows. */
export function lowerForJs(graph: Graph, fusion: FusionCapabilities = JS_FUSION): Graph {
  const g = cloneGraph(graph);
  if (foldConstantsInPlace(g)) inferShapes(g);
  runPasses(g, [foldBatchnorm, fuseEpilogueFor(fusion)]);
  return g;
}

/** lowerForJs plus the js kernels' elementwise chains. */
export function lowerForJsKernels(graph: Graph): Graph {
  const g = lowerForJs(graph);
  fuseElementwise(g);
  return g;
}
