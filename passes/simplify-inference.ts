// simplify-inference: training-only ops become their inference forms (TVM Relay's SimplifyInference).
//   BatchNormalization(x, gamma, beta, mean, var), training_mode 0, one output
//       => Add(Mul(x, a), s)   a = gamma / sqrt(var + eps), s = beta - mean * a   (float64, rounded once)
//     a and s are constants shaped [C, 1, ...] so they broadcast on the channel axis 1 of x.
//   Dropout(x) in inference (no training_mode input, or a constant 0; mask unused) => x
//   Identity(x) => x
// The Mul/Add pair records the BatchNormalization it came from in Node.origin (IR, not a side table), so
// fold-batchnorm can report "BatchNormalization folded into Conv" when it folds the pair. A graph output keeps its name: an
// Identity/Dropout whose output is a graph output is removed only when its input can take that name.
import type { Graph, Node, Value } from '../src/ir/graph.ts';
import { Tensor } from '../src/ir/tensor.ts';
import { batchNormAffine } from '../src/ops/normalization.ts';
import type { Pass, PassContext } from './pass.ts';
import { Rewriter } from './rewriter.ts';

const num = (v: Value) => v.const!.data as ArrayLike<number>;

/** Why a BatchNormalization cannot become a constant scale/shift, or null when it can. */
export function batchNormBlocker(bn: Node): string | null {
  if (Number(bn.attrs.training_mode ?? 0) !== 0 || bn.outputs.length !== 1) return 'training-mode BatchNormalization';
  if (!bn.inputs.slice(1, 5).every((v) => v?.const)) return 'BatchNormalization parameters are not constants';
  const x = bn.inputs[0]!;
  if (x.type.dtype !== 'float32' || bn.inputs.slice(1, 5).some((v) => v!.const!.dtype !== 'float32')) return 'not float32';
  if (!x.type.shape) return 'input rank unknown';
  return null;
}

/** The BN's closed form a*x + s per channel (float64). */
export function batchNormScaleShift(bn: Node): { a: Float64Array; s: Float64Array } {
  const [, gamma, beta, mean, variance] = bn.inputs as Value[];
  const { a, b } = batchNormAffine(num(gamma!), num(beta!), num(mean!), num(variance!), Number(bn.attrs.epsilon ?? 1e-5));
  return { a, s: b };
}

function rewriteBatchNorm(rw: Rewriter, bn: Node, ctx: PassContext): boolean {
  const g = rw.g;
  const why = batchNormBlocker(bn);
  if (why) { ctx.skip(why); return false; }
  const x = bn.inputs[0]!;
  const { a, s } = batchNormScaleShift(bn);
  const shape = [a.length, ...new Array<number>(x.type.shape!.length - 2).fill(1)];
  const scale = g.addConst(`${bn.name}_scale`, new Tensor('float32', shape, Float32Array.from(a)));
  const shift = g.addConst(`${bn.name}_shift`, new Tensor('float32', shape, Float32Array.from(s)));
  // Typed at once: a later BN in this sweep reads its input's rank.
  const mul = rw.addNode('Mul', [x, scale], {}, { name: `${bn.name}_scale`, span: bn.span }, bn, x);
  const add = rw.addNode('Add', [mul.outputs[0]!, shift], {}, { name: `${bn.name}_shift`, span: bn.span }, bn, bn.outputs[0]!);
  mul.origin = add.origin = { op: bn.op, name: bn.name };
  rw.replaceAllUses(bn.outputs[0]!, add.outputs[0]!);
  rw.remove(bn);
  ctx.count('BatchNormalization rewritten as scale/shift');
  return true;
}

/** Dropout is the identity at inference when its training_mode input is absent or a constant 0. */
function inferenceDropout(g: Graph, n: Node): boolean {
  const mode = n.inputs[2];
  if (mode && !(mode.const && Number(mode.const.data[0]) === 0)) return false;
  const mask = n.outputs[1];
  return !mask || (mask.users.length === 0 && !g.outputs.includes(mask));
}

function removePassThrough(rw: Rewriter, n: Node, ctx: PassContext): boolean {
  const g = rw.g;
  const x = n.inputs[0]!, y = n.outputs[0]!;
  // A graph output keeps its name: x can take it only if x is a plain intermediate (not an input, a
  // constant or another output), which is exactly when replaceAllUses renames.
  if (g.outputs.includes(y) && (!x.producer || g.outputs.includes(x))) {
    ctx.skip(`${n.op} feeds a graph output from a graph input, constant or other output`);
    return false;
  }
  rw.replaceAllUses(y, x);
  rw.remove(n);
  ctx.count(`${n.op} removed`);
  return true;
}

export const simplifyInference: Pass = {
  name: 'simplify-inference',
  summary: 'inference BatchNormalization -> per-channel Mul/Add; Dropout (inference) and Identity removed',
  run(g, ctx) {
    const rw = new Rewriter(g);
    let changed = false;
    for (const n of [...g.nodes]) {
      if (n.domain) continue;
      if (n.op === 'BatchNormalization') changed = rewriteBatchNorm(rw, n, ctx) || changed;
      else if (n.op === 'Identity') changed = removePassThrough(rw, n, ctx) || changed;
      else if (n.op === 'Dropout') {
        if (inferenceDropout(g, n)) changed = removePassThrough(rw, n, ctx) || changed;
        else ctx.skip('Dropout in training mode or its mask is used');
      }
    }
    rw.flush();
    return changed;
  },
};
