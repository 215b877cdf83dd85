// Backend lowering: the few rewrites the js kernels rely on to keep outputs in registers, applied to a
// copy of the graph so an unoptimized (-O0) model still runs fused (onnxruntime does the same with its
// own graph optimizations). After `layerc optimize`/-O2 there is usually nothing left to do here.
//   Conv(x, W, b) -> BatchNormalization(a, s)  =>  Conv(x, W * a[m], b * a[m] + s[m])   (a, s: BN's affine form)
//   Conv | Gemm | MatMul | Fused  -> act        =>  Fused(..., epilogue + [act])
//   Conv | Gemm | MatMul | Fused  -> Add(·, r)  =>  Fused(..., epilogue + [add r])   (r full or per channel)
// Each rewrite needs the producer's output to have exactly one user and not be a graph output.
// First, shape arithmetic is folded: Shape of a statically shaped value, and small nodes whose inputs are all
// constants, become constants, and shapes are re-inferred — so a training graph's Reshape(dY, Shape(x))
// gets a static shape (and a kernel) instead of sending the whole graph to the interpreter.
import { Graph, isStatic, type Node, type Value } from '../../src/ir/graph.ts';
import { findOp, resolveAttrs } from '../../src/ir/registry.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { ACTIVATIONS, activationParams } from '../../src/ops/activations.ts';
import { batchNormAffine } from '../../src/ops/normalization.ts';
import { fusedAttrs, FUSABLE_BASES, type EpilogueStep } from '../../src/ops/fused.ts';
import { cloneGraph } from '../../src/train/clone-graph.ts';
import { classifyOperand } from './epilogue.ts';

const sole = (g: Graph, v: Value): Node | null => (v.users.length === 1 && !g.outputs.includes(v) ? v.users[0]! : null);
const num = (v: Value | null | undefined) => v!.const!.data as ArrayLike<number>;

function foldBatchNorm(g: Graph, conv: Node): boolean {
  const bn = sole(g, conv.outputs[0]!);
  if (!bn || bn.op !== 'BatchNormalization' || bn.domain || bn.attrs.training_mode || bn.outputs.length !== 1) return false;
  const w = conv.inputs[1], b = conv.inputs[2];
  if (!w?.const || (b && !b.const) || !bn.inputs.slice(1, 5).every((v) => v?.const) || w.type.dtype !== 'float32') return false;
  const { a, b: shift } = batchNormAffine(num(bn.inputs[1]), num(bn.inputs[2]), num(bn.inputs[3]), num(bn.inputs[4]), Number(bn.attrs.epsilon ?? 1e-5));
  const M = w.const.shape[0]!, per = w.const.size / M;
  const wd = Float32Array.from(num(w), (x, i) => x * a[Math.floor(i / per)]!);
  const bd = Float32Array.from({ length: M }, (_, m) => (b ? num(b)[m]! : 0) * a[m]! + shift[m]!);
  const folded = g.addNode('Conv', [conv.inputs[0]!, g.addConst(`${w.name}_bn`, new Tensor('float32', w.const.shape, wd)),
    g.addConst(`${conv.name}_bn_bias`, new Tensor('float32', [M], bd))], { ...conv.attrs }, { name: `${conv.name}_bn` }, conv);
  folded.outputs[0]!.type = { ...bn.outputs[0]!.type };
  g.replaceAllUses(bn.outputs[0]!, folded.outputs[0]!);
  g.removeNode(bn);
  g.removeNode(conv);
  return true;
}

/** The producer as a Fused node's pieces (a plain base op becomes a Fused with an empty epilogue). */
function asFused(n: Node): { base: string; baseAttrs: Record<string, unknown>; baseInputs: number; epilogue: EpilogueStep[] } | null {
  if (n.op === 'Fused' && n.domain === 'ai.layerc') {
    const f = fusedAttrs(n.attrs);
    return { base: f.base, baseAttrs: f.base_attrs as Record<string, unknown>, baseInputs: f.base_inputs, epilogue: [...f.epilogue] };
  }
  if (!n.domain && (FUSABLE_BASES as readonly string[]).includes(n.op) && n.op !== 'ConvTranspose') {
    return { base: n.op, baseAttrs: { ...n.attrs }, baseInputs: n.inputs.length, epilogue: [] };
  }
  return null;
}

function absorb(g: Graph, prod: Node): boolean {
  const f = asFused(prod);
  const user = f && sole(g, prod.outputs[0]!);
  if (!f || !user || user.domain) return false;
  const inputs = [...prod.inputs];
  const out = prod.outputs[0]!;
  const outShape = out.type.shape as number[] | null;
  if (!outShape) return false;
  const rowAxis = f.base === 'Conv' ? 1 : outShape.length - 2;
  const act = ACTIVATIONS[user.op];
  if (act && user.op !== 'Clip') {
    f.epilogue.push({ kind: 'act', name: user.op, params: activationParams(act, user.attrs as Record<string, unknown>) });
  } else if (user.op === 'Clip') {
    const [, lo, hi] = user.inputs;
    if ((lo && !lo.const) || (hi && !hi.const)) return false;
    f.epilogue.push({ kind: 'act', name: 'Clip', params: { min: lo ? Number(lo.const!.data[0]) : -Infinity, max: hi ? Number(hi.const!.data[0]) : Infinity } });
  } else if (user.op === 'Add' && user.inputs.length === 2) {
    const other = user.inputs[0] === out ? user.inputs[1] : user.inputs[0];
    if (!other || other === out || user.outputs[0]!.type.shape?.join() !== outShape.join()) return false;
    inputs.push(other);
    const probe = { ...user, inputs: [...inputs] } as unknown as Node;
    if (!classifyOperand(probe, inputs.length - 1, outShape, rowAxis)) return false;
    f.epilogue.push({ kind: 'add', input: inputs.length - 1 });
  } else return false;
  const fused = g.addNode('Fused', inputs, { base: f.base, base_attrs: f.baseAttrs as never, base_inputs: f.baseInputs, epilogue: f.epilogue as never },
    { name: `${prod.name}_fused`, domain: 'ai.layerc' }, user);
  fused.outputs[0]!.type = { ...user.outputs[0]!.type };
  g.replaceAllUses(user.outputs[0]!, fused.outputs[0]!);
  g.removeNode(user);
  g.removeNode(prod);
  return true;
}

const FOLD_LIMIT = 1 << 16; // elements: fold shape-sized computations, never activations

function foldShapes(g: Graph): void {
  let folded = false;
  for (const n of [...g.nodes]) {
    const def = findOp(n.op, n.domain);
    if (!def || def.impure || n.outputs.length !== 1 || g.outputs.includes(n.outputs[0]!)) continue;
    const x = n.inputs[0];
    let out: Tensor | undefined;
    if (n.op === 'Shape' && !n.domain && x && isStatic(x.type.shape)) {
      const fake = { shape: x.type.shape, rank: x.type.shape.length } as unknown as Tensor;
      out = def.evalRef([fake], { node: n, attrs: resolveAttrs(n, def) })[0];
    } else if (n.inputs.length && n.inputs.every((v) => !v || v.const) && n.inputs.every((v) => !v || v.const!.size <= FOLD_LIMIT)) {
      out = def.evalRef(n.inputs.map((v) => v?.const ?? null), { node: n, attrs: resolveAttrs(n, def) })[0];
    }
    if (!out || out.size > FOLD_LIMIT) continue;
    const c = g.addConst(`${n.outputs[0]!.name}_folded`, out);
    g.replaceAllUses(n.outputs[0]!, c);
    g.removeNode(n);
    folded = true;
  }
  if (folded) inferShapes(g);
}

/** A lowered copy of `graph` (the input graph is not changed). */
export function lowerForJs(graph: Graph): Graph {
  const g = cloneGraph(graph);
  foldShapes(g);
  for (let changed = true; changed;) {
    changed = false;
    for (const n of [...g.nodes]) {
      if (!g.nodes.includes(n)) continue;
      if (!n.domain && n.op === 'Conv' && foldBatchNorm(g, n)) { changed = true; continue; }
      if (absorb(g, n)) changed = true;
    }
  }
  return g;
}
