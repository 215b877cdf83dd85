// Per-op version resolution for the default ONNX domain. A model declares one opset V; each node means the
// newest version of its op whose since-version is <= V (ONNX's rule). The importer implements every op as of
// opset 7 and later (older attribute forms are upgraded in onnx-upgrade.ts), so what matters below opset 7 is
// whether the op changed between V and 7: GlobalAveragePool has one version (1), so an opset-1 model means
// exactly what an opset-7 one does; Add changed in 6 and 7 (legacy `broadcast`), so opset-5 Add is refused.
//
// The table holds, per registered op, the since-version in effect at opset 7 (`at7`) and, for ops introduced
// after opset 7, the opset they first appear in (`first`). Values are the since-versions of
// onnx/docs/Operators.md (Changelog.md).
import { lcError } from '../diagnostics.ts';

/** Highest default-domain opset we understand: later opsets may change ops in ways we cannot know. */
export const MAX_OPSET = 21;
/** Below this, an op is accepted only when its version did not change between the model's opset and here. */
export const BASE_OPSET = 7;

interface History { at7?: number; first?: number }

const H = (at7: number): History => ({ at7 });
const since = (first: number): History => ({ first });

const HISTORY: Record<string, History> = {
  Abs: H(6), Add: H(7), AveragePool: H(7), BatchNormalization: H(7), Cast: H(6), Ceil: H(6), Clip: H(6),
  Concat: H(4), Constant: H(1), ConstantOfShape: since(9), Conv: H(1), ConvTranspose: H(1), Div: H(7),
  Dropout: H(7), Equal: H(7), Exp: H(6), Expand: since(8), Flatten: H(1), Floor: H(6), Gather: H(1), Gemm: H(7),
  GlobalAveragePool: H(1), GlobalMaxPool: H(1), Greater: H(7), GreaterOrEqual: since(12), HardSigmoid: H(6),
  HardSwish: since(14), Hardmax: H(1), Identity: H(1), LeakyRelu: H(6), Less: H(7), LessOrEqual: since(12),
  Log: H(6), LogSoftmax: H(1), MatMul: H(1), Max: H(6), MaxPool: H(1), Min: H(6), Mul: H(7), Neg: H(6), Not: H(1),
  Pad: H(2), Pow: H(7), Range: since(11), Reciprocal: H(6), ReduceMax: H(1), ReduceMean: H(1), ReduceMin: H(1),
  ReduceProd: H(1), ReduceSum: H(1), ReduceSumSquare: H(1), Relu: H(6), Reshape: H(5), Shape: H(1), Sigmoid: H(6),
  Slice: H(1), Softmax: H(1), Sqrt: H(6), Squeeze: H(1), Sub: H(7), Tanh: H(6), Tile: H(6), Transpose: H(1),
  Unsqueeze: H(1), Where: since(9),
  // transformer / encoder-decoder ops (#19)
  Cos: H(7), DepthToSpace: H(1), Einsum: since(12), Erf: since(9), Gelu: since(20), GroupNormalization: since(21),
  InstanceNormalization: H(6), LayerNormalization: since(17), Mean: H(6), Mish: since(18), ReduceL2: H(1),
  Resize: since(10), Sin: H(7), Size: H(1), Softplus: H(1), SpaceToDepth: H(1), Split: H(2), Sum: H(6), Upsample: H(7),
};

/** Throws unless the model's default-domain opset is one we can read at all (1 to MAX_OPSET). */
export function checkModelOpset(opset: number): void {
  if (!Number.isInteger(opset) || opset < 1 || opset > MAX_OPSET) {
    throw lcError('LC016', [opset, 'ai.onnx', `1 to ${MAX_OPSET}; below ${BASE_OPSET} only ops unchanged since then`]);
  }
}

/**
 * Checks that `op` as meant at `opset` is a version we implement. Ops missing from the table (none today)
 * follow the blanket rule: opset >= BASE_OPSET.
 */
export function checkOpVersion(op: string, opset: number, ctx: { node: string; op: string }): void {
  const h = HISTORY[op] ?? { at7: BASE_OPSET };
  if (h.first !== undefined && opset < h.first) {
    throw lcError('LC019', [op, opset, `it first appears in opset ${h.first}`], ctx);
  }
  if (h.at7 !== undefined && opset < h.at7) {
    throw lcError('LC019', [op, opset, `versions before ${op}-${h.at7} (the version in effect at opset ${BASE_OPSET}) are not supported`], ctx);
  }
}
