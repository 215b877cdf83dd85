// The cross-entropy loss of the training graph (src/train/losses.ts) as generated JS, softmax rows in
// float64 as the reference forms them:
//   SoftmaxCrossEntropy(logits [N, K], labels [N]) -> mean over rows of -log p[label]   (thread 0: a scalar)
//   SoftmaxCrossEntropyGrad(logits, labels, dLoss)  -> dLoss / N * (p - onehot(label))   (rows split)
// Labels are integer tensors (int64 is stored as float64 numbers), read through a typed view of the memory.
import type { Node, Value } from '../../../src/ir/graph.ts';
import { split, staticShape, type KernelFactory } from '../kernel.ts';

const LABEL_VIEWS: Record<string, [string, number]> = { int64: ['Float64Array', 8], float64: ['Float64Array', 8], int32: ['Int32Array', 4], float32: ['Float32Array', 4] };

/** `const L = <typed view of the labels>;` */
function labelsView(labels: Value, at: number, n: number): string | null {
  const v = LABEL_VIEWS[labels.type.dtype];
  if (!v || at % v[1]) return null;
  return `const L = new ${v[0]}(F.buffer, ${at}, ${n});`;
}

/** Row r's softmax into p (a Float64Array of K), reading logits at float index X. */
const softmaxRow = (X: number, K: number) => `let mx = -Infinity;
      for (let j = 0; j < ${K}; j++) mx = Math.max(mx, F[${X} + r * ${K} + j]);
      let s = 0;
      for (let j = 0; j < ${K}; j++) s += (p[j] = Math.exp(F[${X} + r * ${K} + j] - mx));
      for (let j = 0; j < ${K}; j++) p[j] /= s;`;

function accepts(node: Node, op: string): boolean {
  const [x, labels] = node.inputs;
  return node.domain === 'ai.layerc' && node.op === op && x?.type.dtype === 'float32' && !!labels && !labels.const
    && node.outputs[0]?.type.dtype === 'float32' && staticShape(x).length === 2;
}

export const crossEntropyKernel: KernelFactory = (node) => {
  const grad = node.op === 'SoftmaxCrossEntropyGrad';
  if (!accepts(node, grad ? 'SoftmaxCrossEntropyGrad' : 'SoftmaxCrossEntropy')) return null;
  if (grad && node.inputs[2]?.type.dtype !== 'float32') return null;
  const [N, K] = staticShape(node.inputs[0]) as [number, number];
  return {
    kind: `${node.op} ${N}x${K}`,
    emit(ctx) {
      const X = ctx.at(node.inputs[0]) / 4, Y = ctx.at(node.outputs[0]) / 4;
      const view = labelsView(node.inputs[1]!, ctx.at(node.inputs[1]), N);
      if (!view) throw new Error(`js backend: labels of ${node.name} are not aligned for a ${node.inputs[1]!.type.dtype} view`);
      if (!grad) {
        return { phases: [{ js: `if (tid !== 0) return;
    ${view}
    const p = new Float64Array(${K});
    let loss = 0;
    for (let r = 0; r < ${N}; r++) {
      ${softmaxRow(X, K)}
      loss -= Math.log(Math.max(p[L[r]], 1e-300));
    }
    F[${Y}] = loss / ${N};` }] };
      }
      const DL = ctx.at(node.inputs[2]) / 4;
      return { phases: [{ js: `${split(N)}
    ${view}
    const p = new Float64Array(${K}), sc = F[${DL}] / ${N};
    for (let r = lo; r < hi; r++) {
      ${softmaxRow(X, K)}
      for (let j = 0; j < ${K}; j++) F[${Y} + r * ${K} + j] = sc * (p[j] - (j === L[r] ? 1 : 0));
    }` }] };
    },
  };
};
