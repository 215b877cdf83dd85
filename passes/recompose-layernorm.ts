// The decomposed LayerNorm of opset < 17 exports (torch symbolic_opset9 native_layer_norm, TF/keras alike) ->
// one LayerNormalization. The pattern, rooted at the Sqrt:
//   mean = ReduceMean(x, axes, keepdims=1)          d = Sub(x, mean)
//   var  = ReduceMean(Pow(d, 2) | Mul(d, d), axes)  s = Sqrt(Add(var, eps) | Add(eps, var))
//   n    = Div(d, s) | Mul(d, Reciprocal(s))        [y = Mul(n, w) | Mul(w, n)]  [y = Add(y, b) | Add(b, y)]
//   =>  LayerNormalization(x, W, B, axis=-k, epsilon=eps)
// which is the same function: (x - E x) / sqrt(E (x - E x)^2 + eps) * w + b over the last k axes.
// Guards (declined, with the reason in --report): both ReduceMeans reduce the same axes and those are a trailing
// suffix [r-k, r) of x's rank r (LayerNormalization normalizes every axis from `axis` on); eps is a constant
// scalar; every intermediate (mean, d, the square, var, var + eps, s, n) is read only inside the pattern and is
// not a graph output; the normalized dims are static. The scale and bias join when they are float32 constants
// broadcasting within the normalized dims (materialized to the normalized shape, as onnxruntime wants them);
// absent, the scale is ones and the bias is left out. An unbiased variance (ReduceSum / (n - 1)) does not match.
import type { Graph, Node, Value } from '../src/ir/graph.ts';
import { Tensor } from '../src/ir/tensor.ts';
import { decline, rule, type Decline } from './rewrite-engine.ts';
import { onlyUser, otherOperand, producedBy, sameShape, scalarConst, soleUser, usedOnlyBy } from './pattern-match.ts';

interface LayerNormMatch {
  x: Value;
  k: number;
  eps: number;
  scale: Value | null;
  bias: Value | null;
  /** The pattern's nodes, first to last; the last one's output is replaced. */
  nodes: Node[];
  name: string;
}

/** The reduced axes of ReduceMean `n` on a rank-r input (every axis when there is no axes input), or null. */
function meanAxes(n: Node, r: number): number[] | null {
  if (Number(n.attrs.keepdims ?? 1) !== 1 || Number(n.attrs.noop_with_empty_axes ?? 0) !== 0) return null;
  const a = n.inputs[1];
  if (!a) return Array.from({ length: r }, (_, i) => i);
  if (!a.const) return null;
  const axes = a.const.toNumbers().map((v) => (v < 0 ? v + r : v)).sort((p, q) => p - q);
  return axes.length ? axes : Array.from({ length: r }, (_, i) => i);
}

/** A float32 constant broadcasting within the normalized dims `dims`, materialized to them; null if not. */
function normalizedParam(v: Value | null, dims: number[]): Tensor | null {
  const t = v?.const;
  if (!t || t.dtype !== 'float32') return null;
  const s = [...t.shape];
  while (s.length && s[0] === 1) s.shift();
  if (s.length > dims.length) return null;
  const off = dims.length - s.length;
  if (!s.every((d, i) => d === 1 || d === dims[off + i])) return null;
  const n = dims.reduce((a, b) => a * b, 1), out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let src = 0, rem = i, stride = 1;
    for (let d = dims.length - 1; d >= 0; d--) {
      const c = rem % dims[d]!;
      rem = Math.floor(rem / dims[d]!);
      const sd = d - off;
      if (sd >= 0) { if (s[sd] !== 1) src += c * stride; stride *= s[sd]!; }
    }
    out[i] = t.data[src]!;
  }
  return new Tensor('float32', dims, out);
}

/** Matches the pattern around `sqrt` (pure: nothing changes). */
function matchLayerNorm(sqrt: Node, g: Graph): LayerNormMatch | Decline | null {
  const addEps = producedBy(sqrt.inputs[0], 'Add', 2);
  if (!addEps) return null;
  const [a0, a1] = addEps.inputs as [Value, Value];
  const varNode = producedBy(a0, 'ReduceMean') ?? producedBy(a1, 'ReduceMean');
  if (!varNode) return null;
  const epsV = varNode.outputs[0] === a0 ? a1 : a0;
  const sq = varNode.inputs[0]!;
  const sqNode = producedBy(sq, 'Pow', 2) ?? producedBy(sq, 'Mul', 2);
  if (!sqNode) return null;
  const d = sqNode.inputs[0]!;
  if (sqNode.op === 'Pow' ? scalarConst(sqNode.inputs[1]) !== 2 : sqNode.inputs[1] !== d) return null;
  const sub = producedBy(d, 'Sub', 2);
  const mean = sub && producedBy(sub.inputs[1], 'ReduceMean');
  if (!sub || !mean || mean.inputs[0] !== sub.inputs[0]) return null;
  const x = sub.inputs[0]!;
  // The normalized value: Div(d, s), or Mul(d, Reciprocal(s)).
  const su = soleUser(sqrt.outputs[0]!);
  const recip = su && !su.domain && su.op === 'Reciprocal' ? su : null;
  const normNode = recip ? soleUser(recip.outputs[0]!) : su;
  if (!normNode || normNode.domain) return null;
  const isNorm = recip ? normNode.op === 'Mul' && otherOperand(normNode, recip.outputs[0]!) === d
    : normNode.op === 'Div' && normNode.inputs[0] === d && normNode.inputs[1] === sqrt.outputs[0];
  if (!isNorm) return null;
  const core = [mean, sub, sqNode, varNode, addEps, sqrt, ...(recip ? [recip] : []), normNode];
  // Guards: from here on the pattern is there, so a refusal is reported.
  const shape = x.type.shape;
  if (!shape || x.type.dtype !== 'float32') return decline('LayerNorm pattern: input is not float32 of known rank', core);
  const r = shape.length, ax = meanAxes(mean, r), ax2 = meanAxes(varNode, r);
  if (!ax || !ax2 || ax.join() !== ax2.join()) return decline('LayerNorm pattern: the two ReduceMeans reduce different or unknown axes', core);
  const k = ax.length;
  if (!ax.every((a, i) => a === r - k + i)) return decline(`LayerNorm pattern: reduced axes [${ax.join(', ')}] are not the trailing axes of rank ${r}`, core);
  const eps = scalarConst(epsV);
  if (eps === null) return decline('LayerNorm pattern: epsilon is not a constant scalar', core);
  const inner = [mean.outputs[0]!, sq, varNode.outputs[0]!, addEps.outputs[0]!, sqrt.outputs[0]!, ...(recip ? [recip.outputs[0]!] : [])];
  if (!inner.every((v) => onlyUser(g, v)) || !usedOnlyBy(g, d, [sqNode, normNode])) {
    return decline('LayerNorm pattern: an intermediate has another consumer or is a graph output', core);
  }
  const dims = shape.slice(r - k);
  if (!dims.every((v): v is number => typeof v === 'number')) return decline('LayerNorm pattern: normalized dims are not static', core);
  if (!sameShape(normNode.outputs[0]!, x)) return decline('LayerNorm pattern: the result is broadcast beyond the input\'s shape', core);
  // Optional scale and bias: constants within the normalized dims, each the only user of the value before it.
  const nodes = [...core];
  let cur = normNode.outputs[0]!, scale: Value | null = null, bias: Value | null = null;
  const next = (op: string): Value | null => {
    const u = onlyUser(g, cur);
    const o = u && !u.domain && u.op === op ? otherOperand(u, cur) : null;
    // The parameter must not broadcast the result up (a [1, ...] of higher rank than x).
    if (!o || !normalizedParam(o, dims) || !sameShape(u!.outputs[0]!, x)) return null;
    nodes.push(u!);
    cur = u!.outputs[0]!;
    return o;
  };
  scale = next('Mul');
  bias = next('Add');
  const name = mean.name.replace(/\/[^/]*$/, '') || mean.name;
  return { x, k, eps, scale, bias, nodes, name: mean.name.includes('/') ? `${name}/LayerNormalization` : `${mean.name}_layernorm` };
}

export const layerNormRule = rule<LayerNormMatch>({
  name: 'decomposed LayerNorm -> LayerNormalization',
  root: 'Sqrt',
  match: matchLayerNorm,
  apply(m, rw, count) {
    const g = rw.g, last = m.nodes.at(-1)!, out = last.outputs[0]!;
    const dims = m.x.type.shape!.slice(-m.k) as number[];
    const scale = m.scale ? normalizedParam(m.scale, dims)! : new Tensor('float32', dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(1));
    const inputs = [m.x, g.addConst(`${m.name}_scale`, scale), ...(m.bias ? [g.addConst(`${m.name}_bias`, normalizedParam(m.bias, dims)!)] : [])];
    const ln = rw.addNode('LayerNormalization', inputs, { axis: -m.k, epsilon: Math.fround(m.eps) }, { name: m.name, span: last.span }, last, out);
    rw.replaceAllUses(out, ln.outputs[0]!);
    for (const n of [...m.nodes].reverse()) rw.remove(n);
    count('decomposed LayerNorm fused into LayerNormalization');
  },
});

