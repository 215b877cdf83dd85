// fuse-epilogue: a Conv / Gemm / MatMul (or an existing ai.layerc::Fused node) followed by a chain of
// elementwise steps becomes ONE ai.layerc::Fused node whose epilogue lists the steps in order, so a
// backend computes the whole chain while the output is still in registers (src/ops/fused.ts contract).
// The rewrite table, one row per step kind:
//   P -> Relu | LeakyRelu | Sigmoid | Tanh | HardSigmoid | HardSwish   =>  epilogue += act(name, attrs)
//   P -> Clip(lo, hi) with constant (or absent) bounds (Relu6 = Clip(0, 6))  =>  epilogue += act Clip{min,max}
//   P -> Add(·, r)   r per channel, per column, scalar or the full output     =>  epilogue += add r  (bias, residual)
//   P -> Mul(·, k)   k a constant, per channel, per column or scalar           =>  epilogue += mul k
// Each step's input must have exactly one user and not be a graph output; the result is float32 and keeps the
// output shape (no broadcast that grows it). Operand shapes are the ones the backends' epilogues take
// (runtime/js/epilogue.ts classifyOperand; per-row Gemm operands are left out): anything else is left for a standalone kernel.
// ConvTranspose is a base only with the option `conv-transpose` (default off): the WGSL backend runs
// Fused(ConvTranspose), but the JS backend has no ConvTranspose kernel, so there fusing it would only move
// the epilogue's elementwise kernels into the reference fallback. The reference op and the ONNX export handle Fused(ConvTranspose) either way.
import type { Dim, Node, Value } from '../src/ir/graph.ts';
import { ACTIVATIONS, activationParams } from '../src/ops/activations.ts';
import { fusedAttrs, type EpilogueStep } from '../src/ops/fused.ts';
import type { Pass } from './pass.ts';
import { Rewriter } from './rewriter.ts';

interface Pending { base: string; baseAttrs: Record<string, unknown>; baseInputs: number; inputs: (Value | null)[]; epilogue: EpilogueStep[] }

function asPending(n: Node, convTranspose: boolean): Pending | null {
  if (n.op === 'Fused' && n.domain === 'ai.layerc') {
    const f = fusedAttrs(n.attrs);
    return { base: f.base, baseAttrs: f.base_attrs as Record<string, unknown>, baseInputs: f.base_inputs, inputs: [...n.inputs], epilogue: [...f.epilogue] };
  }
  if (n.domain || !(n.op === 'Conv' || n.op === 'Gemm' || n.op === 'MatMul' || (convTranspose && n.op === 'ConvTranspose'))) return null;
  return { base: n.op, baseAttrs: { ...n.attrs }, baseInputs: n.inputs.length, inputs: [...n.inputs], epilogue: [] };
}

const sameDim = (a: Dim, b: Dim) => a === b;

/** Whether `operand` broadcasts onto `out` the way every backend's fused epilogue takes it. */
function epilogueOperand(operand: Value, out: Dim[], base: string): boolean {
  const s = operand.type.shape;
  if (!s || s.length > out.length) return false;
  const a = [...new Array<Dim>(out.length - s.length).fill(1), ...s];
  if (a.every((d) => d === 1)) return true; // scalar
  if (a.every((d, k) => sameDim(d, out[k]!))) return true; // full
  const chanAxis = base === 'Conv' || base === 'ConvTranspose' ? 1 : out.length - 1;
  return a.every((d, k) => (k === chanAxis ? sameDim(d, out[k]!) : d === 1)); // per channel (conv) / per column (gemm)
}

/** The epilogue step for `u` reading `x` (the chain so far), with its new operand if any; null if u does not fuse. */
function stepFor(u: Node, x: Value, out: Dim[], base: string): { step: EpilogueStep; operand?: Value } | null {
  if (u.domain || u.outputs.length !== 1 || u.outputs[0]!.type.dtype !== 'float32') return null;
  const act = ACTIVATIONS[u.op];
  if (act && u.op !== 'Clip') return { step: { kind: 'act', name: u.op, params: activationParams(act, u.attrs as Record<string, unknown>) } };
  if (u.op === 'Clip') {
    const [, lo, hi] = u.inputs;
    if ((lo && !lo.const) || (hi && !hi.const) || u.inputs[0] !== x) return null;
    const p = { min: lo ? Number(lo.const!.data[0]) : act!.params.min!, max: hi ? Number(hi.const!.data[0]) : act!.params.max! };
    return { step: { kind: 'act', name: 'Clip', params: p } };
  }
  if ((u.op !== 'Add' && u.op !== 'Mul') || u.inputs.length !== 2) return null;
  const other = u.inputs[0] === x ? u.inputs[1] : u.inputs[0];
  if (!other || other === x || other.type.dtype !== 'float32') return null;
  if (u.op === 'Mul' && !other.const) return null;
  if (!epilogueOperand(other, out, base)) return null;
  return { step: { kind: u.op === 'Add' ? 'add' : 'mul', input: -1 }, operand: other };
}

function fuseFrom(rw: Rewriter, p: Node, convTranspose: boolean): Node[] {
  const g = rw.g;
  const f = asPending(p, convTranspose);
  const out = p.outputs[0]!.type;
  if (!f || out.dtype !== 'float32' || !out.shape || p.outputs.length !== 1) return [];
  const chain: Node[] = [];
  let cur = p.outputs[0]!;
  for (;;) {
    const u = cur.users.length === 1 && !g.outputs.includes(cur) ? cur.users[0]! : null;
    const st = u && stepFor(u, cur, out.shape, f.base);
    if (!u || !st) break;
    if (st.operand) {
      f.inputs.push(st.operand);
      f.epilogue.push({ kind: st.step.kind as 'add' | 'mul', input: f.inputs.length - 1 });
    } else f.epilogue.push(st.step);
    chain.push(u);
    cur = u.outputs[0]!;
  }
  if (!chain.length) return [];
  // Placed where the last step was: every operand (a residual may be computed after p) is defined by then.
  const last = chain.at(-1)!;
  const fused = rw.addNode('Fused', f.inputs, { base: f.base, base_attrs: f.baseAttrs as never, base_inputs: f.baseInputs, epilogue: f.epilogue as never },
    { name: p.op === 'Fused' ? p.name : `${p.name}_fused`, domain: 'ai.layerc', span: p.span }, last, last.outputs[0]!);
  g.replaceAllUses(last.outputs[0]!, fused.outputs[0]!);
  for (const n of chain) rw.remove(n);
  rw.remove(p);
  return chain;
}

export const fuseEpilogue: Pass = {
  name: 'fuse-epilogue',
  summary: 'Conv/Gemm/MatMul followed by bias/residual Add, per-channel Mul and activations -> one ai.layerc::Fused node',
  options: { 'conv-transpose': { default: false, doc: 'also fuse into ConvTranspose (WGSL runs it; the JS backend has no ConvTranspose kernel)' } },
  run(g, ctx) {
    const convTranspose = ctx.options['conv-transpose'] === true;
    const rw = new Rewriter(g);
    for (const p of [...g.nodes]) {
      if (rw.isRemoved(p)) continue;
      const out = p.outputs[0]!;
      if (asPending(p, convTranspose) && (out.users.length > 1 || g.outputs.includes(out)) && out.users.some((u) => ACTIVATIONS[u.op] || u.op === 'Add')) {
        ctx.skip(`${p.op} output has other consumers or is a graph output`);
      }
      const chain = fuseFrom(rw, p, convTranspose);
      if (!chain.length) continue;
      ctx.count(`${p.op === 'Fused' ? fusedAttrs(p.attrs).base : p.op} fused with its epilogue`);
      ctx.count('epilogue steps', chain.length);
    }
    rw.flush();
  },
};
