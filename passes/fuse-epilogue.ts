// fuse-epilogue: a Conv / Gemm / MatMul (or an existing ai.layerc::Fused node) followed by a chain of
// elementwise steps becomes ONE ai.layerc::Fused node whose epilogue lists the steps in order, so a
// backend computes the whole chain while the output is still in registers (src/ops/fused-contract.ts).
// The rewrites are engine rules (./rewrite-engine.ts, epilogueRules): one row per base the target fuses, each
// matching (purely) the longest chain of steps; the steps, one row per kind:
//   P -> Relu | LeakyRelu | Sigmoid | Tanh | HardSigmoid | HardSwish   =>  epilogue += act(name, attrs)
//   P -> Gelu (approximate none | tanh; what recompose-ops makes of an exported GELU)  =>  epilogue += gelu
//   P -> Clip(lo, hi) with constant (or absent) bounds (Relu6 = Clip(0, 6))  =>  epilogue += act Clip{min,max}
//   P -> Add(·, r)   r an operand the target takes (scalar, per channel, per column, full)  =>  epilogue += add r
//   P -> Mul(·, k)   k a constant operand the target takes                                =>  epilogue += mul k
//   P -> LayerNormalization(axis = -1) with constant Scale (B) of one value per row element, P a base the target
//        lists in `rowwise` (its kernel finishes whole rows), at most one per node  =>  epilogue += layernorm
// Each step's input must have exactly one user and not be a graph output; the result is float32 and keeps the
// output shape (no broadcast that grows it). What fuses is the target's, not the pass's: the caller gives the
// backend's FusionCapabilities (bases, operand kinds per base, activations; each backend exports its own) to
// fuseEpilogueFor; the registered pass (layerc optimize, -O2) uses PORTABLE_FUSION, what every backend runs.
// The option `conv-transpose` adds ConvTranspose as a base to the registered pass's portable target (the js and
// wgsl backends list it in their own capabilities and fuse it when they lower).
import type { Dim, Graph, Node, Value } from '../src/ir/graph.ts';
import { ACTIVATIONS, activationParams } from '../src/ops/activations.ts';
import { fusedAttrs } from '../src/ops/fused.ts';
import {
  GELU_ACTIVATION, PORTABLE_FUSION, STEP_KINDS, classifyOperand, fusesOperand, isBaseOp, operandStepOf,
  type BaseOp, type EpilogueStep, type FusionCapabilities, type OperandStepKind,
} from '../src/ops/fused-contract.ts';
import type { Pass } from './pass.ts';
import type { Rewriter } from './rewriter.ts';
import { decline, rewrite, rule, type Decline, type Rule } from './rewrite-engine.ts';

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
  if (u.op === 'Gelu') return caps.activations.includes(GELU_ACTIVATION) ? { step: { kind: 'gelu', approximate: u.attrs.approximate === 'tanh' ? 'tanh' : 'none' } } : null;
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

/**
 * The row-wise step for u = LayerNormalization over the last axis of x (Scale and the optional B constants with one
 * value per row element, only the Y output), under a target whose `base` kernel finishes rows (caps.rowwise); one
 * per epilogue. Null when u is not one.
 */
function layerNormFor(u: Node, x: Value, out: Dim[], f: Pending, caps: FusionCapabilities): { scale: Value; bias: Value | null; epsilon: number } | null {
  if (u.domain || u.op !== 'LayerNormalization' || !caps.rowwise.includes(f.base) || f.epilogue.some((s) => s.kind === 'layernorm')) return null;
  const [input, scale, bias] = u.inputs;
  const n = out.at(-1), axis = Number(u.attrs.axis ?? -1);
  if (input !== x || u.outputs.length !== 1 || u.outputs[0]!.type.dtype !== 'float32' || typeof n !== 'number' || (axis !== -1 && axis !== out.length - 1)) return null;
  const perRow = (v: Value | null | undefined) => !!v?.const && v.type.dtype === 'float32' && v.const.size === n;
  if (!perRow(scale) || (bias && !perRow(bias))) return null;
  return { scale: scale!, bias: bias ?? null, epsilon: Number(u.attrs.epsilon ?? 1e-5) };
}

interface Fusion { p: Node; f: Pending; chain: Node[] }

/** The longest chain of steps after `p` (pure: reads the graph only), or why p's output cannot start one. */
function matchChain(p: Node, g: Graph, caps: FusionCapabilities): Fusion | Decline | null {
  const f = asPending(p, caps);
  const out = p.outputs[0]!.type;
  if (!f || out.dtype !== 'float32' || !out.shape || p.outputs.length !== 1) return null;
  const first = p.outputs[0]!;
  if ((first.users.length > 1 || g.outputs.includes(first)) && first.users.some((u) => ACTIVATIONS[u.op] || u.op === 'Gelu' || u.op === 'LayerNormalization' || operandStepOf(u.op))) {
    return decline(`${p.op} output has other consumers or is a graph output`, [p]);
  }
  const chain: Node[] = [];
  let cur = first;
  for (;;) {
    const u = cur.users.length === 1 && !g.outputs.includes(cur) ? cur.users[0]! : null;
    if (!u) break;
    const ln = layerNormFor(u, cur, out.shape, f, caps);
    const st = ln ? null : stepFor(u, cur, out.shape, f.base, caps);
    const at = (v: Value) => f.inputs.push(v) - 1;
    if (ln) f.epilogue.push({ kind: 'layernorm', scale: at(ln.scale), bias: ln.bias && at(ln.bias), epsilon: ln.epsilon });
    else if (st?.operand) f.epilogue.push({ kind: st.step.kind as OperandStepKind, input: at(st.operand) });
    else if (st) f.epilogue.push(st.step);
    else break;
    chain.push(u);
    cur = u.outputs[0]!;
  }
  return chain.length ? { p, f, chain } : null;
}

/** Replaces p and its chain by one Fused node, placed where the last step was (every operand is defined by then). */
function applyFusion({ p, f, chain }: Fusion, rw: Rewriter, count: (what: string, n?: number) => void): void {
  const last = chain.at(-1)!;
  const fused = rw.addNode('Fused', f.inputs, { base: f.base, base_attrs: f.baseAttrs as never, base_inputs: f.baseInputs, epilogue: f.epilogue as never },
    { name: p.op === 'Fused' ? p.name : `${p.name}_fused`, domain: 'ai.layerc', span: p.span }, last, last.outputs[0]!);
  rw.replaceAllUses(last.outputs[0]!, fused.outputs[0]!);
  for (const n of chain) rw.remove(n);
  rw.remove(p);
  count(`${f.base} fused with its epilogue`);
  count('epilogue steps', chain.length);
  const norms = chain.filter((n) => n.op === 'LayerNormalization').length;
  if (norms) count('LayerNorm epilogues', norms);
}

/**
 * The rule table for a target: one row per base root (and one for an existing Fused node, which grows), each
 * matching the longest chain of steps stepFor accepts under `caps`.
 */
export function epilogueRules(caps: FusionCapabilities): Rule[] {
  return [...Object.keys(caps.bases), 'ai.layerc::Fused'].map((root) => rule<Fusion>({
    name: `${root.replace('ai.layerc::', '')} + epilogue`,
    root,
    match: (p, g) => matchChain(p, g, caps),
    apply: applyFusion,
  }));
}

/** The pass for a target that runs what `caps` declares (a backend's exported FusionCapabilities). */
export function fuseEpilogueFor(caps: FusionCapabilities): Pass {
  return {
    name: 'fuse-epilogue',
    summary: 'Conv/Gemm/MatMul followed by bias/residual Add, per-channel Mul, activations and (Gemm/MatMul) LayerNorm -> one ai.layerc::Fused node',
    options: { 'conv-transpose': { default: false, doc: 'also fuse into ConvTranspose (for a target whose capabilities do not list it; js and wgsl do)' } },
    run(g, ctx) {
      const target: FusionCapabilities = ctx.options['conv-transpose'] === true && !caps.bases.ConvTranspose
        ? { ...caps, bases: { ...caps.bases, ConvTranspose: caps.bases.Conv ?? [] } } : caps;
      const r = rewrite(g, epilogueRules(target));
      for (const [what, n] of Object.entries(r.counts)) ctx.count(what, n);
      for (const d of r.declined) ctx.skip(d.declined);
      ctx.fired(r.fired);
      return r.changed;
    },
  };
}

/** The registered pass (layerc optimize, -O2): fuses what every backend runs. */
export const fuseEpilogue: Pass = fuseEpilogueFor(PORTABLE_FUSION);
