// recompose-ops: the subgraphs that exporters write for ops their opset lacks, recomposed into the op itself,
// so a backend runs one kernel (and fuse-epilogue can take a Gelu into the MatMul/Gemm before it):
//   decomposed LayerNorm (opset < 17: ReduceMean/Sub/Pow/Sqrt/Div[/Mul/Add])  -> LayerNormalization
//                                                                                 (./recompose-layernorm.ts)
//   0.5 x (1 + erf(x / sqrt 2)), 0.5 x (1 + tanh(...)) (opset < 20)           -> Gelu (./recompose-gelu.ts)
// Rows of one table run by the pattern engine (./rewrite-engine.ts). It runs before fold-batchnorm in the -O
// pipelines: that pass would otherwise fold a LayerNorm's trailing Mul/Add into the MatMul after it and leave a
// pattern without its scale and bias. Each fusion is counted for --report; a pattern a guard refused is reported
// as skipped with its reason.
import type { Pass } from './pass.ts';
import { rulePass, type Rule } from './rewrite-engine.ts';
import { layerNormRule } from './recompose-layernorm.ts';
import { geluRules } from './recompose-gelu.ts';

export const RECOMPOSE_RULES: readonly Rule[] = [layerNormRule, ...geluRules];

export const recomposeOps: Pass = rulePass('recompose-ops',
  'decomposed LayerNorm -> LayerNormalization, Erf/Tanh GELU -> Gelu (the subgraphs of opset < 17 / < 20 exports)',
  RECOMPOSE_RULES);
