// fuse-epilogue: a Conv / Gemm / MatMul (or an existing ai.layerc::Fused node) followed by a chain of
// elementwise steps becomes ONE ai.layerc::Fused node whose epilogue lists the steps in order, so a
// backend computes the whole chain while the output is still in registers (src/ops/fused-contract.ts).
// The rewrite table, one row per step kind:
//   P -> Relu | LeakyRelu | Sigmoid | Tanh | HardSigmoid | HardSwish   =>  epilogue += act(name, attrs)
//   P -> Clip(lo, hi) with constant (or absent) bounds (Relu6 = Clip(0, 6))  =>  epilogue += act Clip{min,max}
//   P -> Add(·, r)   r an operand the target takes (scalar, per channel, per column, full)  =>  epilogue += add r
//   P -> Mul(·, k)   k a constant operand the target takes                                =>  epilogue += mul k
// Each step's input must have exactly one user and not be a graph output; the result is float32 and keeps the
// output shape (no broadcast that grows it). What fuses is the target's, not the pass's: the caller gives the
// backend's FusionCapabilities (bases, operand kinds per base, activations; each backend exports its own) to
// fuseEpilogueFor; the registered pass (layerc optimize, -O2) uses PORTABLE_FUSION, what every backend runs.
// The option `conv-transpose` adds ConvTranspose as a base (WGSL runs it; the JS backend has no ConvTranspose
// kernel, so there fusing it would only move the epilogue's elementwise kernels into the reference fallback).
import type { Dim, Node, Value } from '../src/ir/graph.ts';
import { ACTIVATIONS, activationParams } from '../src/ops/activations.ts';
import { fusedAttrs } from '../src/ops/fused.ts';
import {
  PORTABLE_FUSION, STEP_KINDS, classifyOperand, fusesOperand, isBaseOp, operandStepOf,
  type BaseOp, type EpilogueStep, type FusionCapabilities, type OperandStepKind,
} from '../src/ops/fused-contract.ts';
import type { Pass } from './pass.ts';
import { Rewriter } from './rewriter.ts';

interface Pending { base: BaseOp; baseAttrs: Record<string, unknown>; baseInputs: number; inputs: (Value | null)[]; epilogue: EpilogueStep[] }

function asPending(n: Node, caps: FusionCapabilities): Pending | null {
  if (n.op === 'Fused' && n.domain === 'ai.layerc') {
    const f = fusedAttrs(n.attrs);
    if (!isBaseOp(f.base) || !caps.bases[f.base]) return null;
    return { base: f.base, baseAttrs: f.base_attrs as Record<string, unknown>, baseInputs: f.base_inputs, inputs: [...n.inputs], epilogue: [...f.epilogue] };
  }
  if (n.domain || !isBaseOp(n.op) || !caps.bases[n.op]) return null;
  return { base: n.op, baseAttrs: { ...n.attrs }, baseInputs: n.inputs.length, inputs: [...n.inputs], epilogue: [] };
}

/** The epilogue step for `u` reading `x` (the chain so far), with its new operand if any; null if u does not fuse. */
function stepFor(u: Node, x: Value, out: Dim[], base: BaseOp, caps: FusionCapabilities): { step: EpilogueStep; operand?: Value } | null {
  if (u.domain || u.outputs.length !== 1 || u.outputs[0]!.type.dtype !== 'float32') return null;
  const act = ACTIVATIONS[u.op];
  if (act && !caps.activations.includes(u.op)) return null;
  if (act && u.op !== 'Clip') return { step: { kind: 'act', name: u.op, params: activationParams(act, u.attrs as Record<string, unknown>) } };
  if (u.op === 'Clip') {
    const [, lo, hi] = u.inputs;
    if ((lo && !lo.const) || (hi && !hi.const) || u.inputs[0] !== x) return null;
    const p = { min: lo ? Number(lo.const!.data[0]) : act!.params.min!, max: hi ? Number(hi.const!.data[0]) : act!.params.max! };
    return { step: { kind: 'act', name: 'Clip', params: p } };
  }
  const kind = operandStepOf(u.op);
  if (!kind || u.inputs.length !== 2) return null;
  const other = u.inputs[0] === x ? u.inputs[1] : u.inputs[0];
  if (!other || other === x || other.type.dtype !== 'float32' || !other.type.shape) return null;
  if (!STEP_KINDS[kind].computedOperand && !other.const) return null;
  const per = classifyOperand(other.type.shape, out);
  if (!per || !fusesOperand(caps, base, per)) return null;
  return { step: { kind, input: -1 }, operand: other };
}

function fuseFrom(rw: Rewriter, p: Node, caps: FusionCapabilities): Node[] {
  const g = rw.g;
  const f = asPending(p, caps);
  const out = p.outputs[0]!.type;
  if (!f || out.dtype !== 'float32' || !out.shape || p.outputs.length !== 1) return [];
  const chain: Node[] = [];
  let cur = p.outputs[0]!;
  for (;;) {
    const u = cur.users.length === 1 && !g.outputs.includes(cur) ? cur.users[0]! : null;
    const st = u && stepFor(u, cur, out.shape, f.base, caps);
    if (!u || !st) break;
    if (st.operand) {
      f.inputs.push(st.operand);
      f.epilogue.push({ kind: st.step.kind as OperandStepKind, input: f.inputs.length - 1 });
    } else f.epilogue.push(st.step);
    chain.push(u);
    cur = u.outputs[0]!;
  }
  if (!chain.length) return [];
  // Placed where the last step was: every operand (a residual may be computed after p) is defined by then.
  const last = chain.at(-1)!;
  const fused = rw.addNode('Fused', f.inputs, { base: f.base, base_attrs: f.baseAttrs as never, base_inputs: f.baseInputs, epilogue: f.epilogue as never },
    { name: p.op === 'Fused' ? p.name : `${p.name}_fused`, domain: 'ai.layerc', span: p.span }, last, last.outputs[0]!);
  rw.replaceAllUses(last.outputs[0]!, fused.outputs[0]!);
  for (const n of chain) rw.remove(n);
  rw.remove(p);
  return chain;
}

/** The pass for a target that runs what `caps` declares (a backend's exported FusionCapabilities). */
export function fuseEpilogueFor(caps: FusionCapabilities): Pass {
  return {
    name: 'fuse-epilogue',
    summary: 'Conv/Gemm/MatMul followed by bias/residual Add, per-channel Mul and activations -> one ai.layerc::Fused node',
    options: { 'conv-transpose': { default: false, doc: 'also fuse into ConvTranspose (WGSL runs it; the JS backend has no ConvTranspose kernel)' } },
    run(g, ctx) {
      const target: FusionCapabilities = ctx.options['conv-transpose'] === true && !caps.bases.ConvTranspose
        ? { ...caps, bases: { ...caps.bases, ConvTranspose: caps.bases.Conv ?? [] } } : caps;
      const rw = new Rewriter(g);
      let fused = 0;
      for (const p of [...g.nodes]) {
        if (rw.isRemoved(p)) continue;
        const out = p.outputs[0]!;
        if (asPending(p, target) && (out.users.length > 1 || g.outputs.includes(out)) && out.users.some((u) => ACTIVATIONS[u.op] || operandStepOf(u.op))) {
          ctx.skip(`${p.op} output has other consumers or is a graph output`);
        }
        const chain = fuseFrom(rw, p, target);
        if (!chain.length) continue;
        ctx.count(`${p.op === 'Fused' ? fusedAttrs(p.attrs).base : p.op} fused with its epilogue`);
        ctx.count('epilogue steps', chain.length);
        fused++;
      }
      rw.flush();
      return fused > 0;
    },
  };
}

/** The registered pass (layerc optimize, -O2): fuses what every backend runs. */
export const fuseEpilogue: Pass = fuseEpilogueFor(PORTABLE_FUSION);
