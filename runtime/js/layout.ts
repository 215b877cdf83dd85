// The js backend's layout pass: which activations are stored in the blocked layout NCHWc4 instead of NCHW.
// NCHWc4 holds [N][C/4][H][W][4]: one pixel's 4 neighbouring channels are one f32x4, so a depthwise conv computes
// a whole vector per pixel and tap with no row tails, stride-2 shuffles or per-plane calls, and a pointwise conv
// reads its input in place (./kernels/blocked.ts). Layout is storage only: a value keeps its logical NCHW type in
// the IR, and the reference interpreter never sees a blocked value (graph inputs and outputs stay NCHW).
// A value is blocked when its channel count is a multiple of 4 (same storage size: no padding lanes), it is not a
// graph output, its producer writes NCHWc4 (pointwise conv, depthwise conv, elementwise op, per-channel scale) and
// every user reads it (pointwise/depthwise input or residual, elementwise operand, the scaled input of a squeeze-
// excitation Mul, GlobalAveragePool input). Reorders sit at region
// boundaries inside kernels, not as copies: a pointwise conv reads an NCHW input through strides or writes an NCHW
// output lane by lane, a depthwise conv gathers NCHW planes into blocks, and GlobalAveragePool's [N, C, 1, 1] output
// is the same in both layouts. Then consistency (an elementwise op's operands and output share a layout, so do a
// conv's residual and output; a depthwise conv with a blocked input writes a blocked output) to a fixpoint, and a region is kept only if it holds a depthwise conv: that is
// the kernel that gains (a pointwise conv alone runs as fast on the NCHW GEMM, bench/README.md).
import type { Graph, Node, Value } from '../../src/ir/graph.ts';
import { JS_EXPR_OPS } from '../../src/ops/js-expr.ts';
import { JS_ELEMENTWISE } from '../../src/ops/elementwise-chain.ts';
import { convGeometry, convParts, type ConvGeometry } from './kernels/conv.ts';
import { splitEpilogue, type SplitEpilogue } from './epilogue.ts';
import { kernelTakes } from './wasm/epilogue.ts';
import { BLOCKED_OPERANDS } from './wasm/blocked-depthwise.ts';
import { staticShape, type BuildOptions } from './kernel.ts';

/** `auto`: the pass decides (default); `nchw`: every activation stays NCHW. */
export type LayoutOption = 'auto' | 'nchw';

/** A node that has a blocked kernel, and the inputs that must share its output's layout. */
export type LayoutRole =
  | { kind: 'pointwise' | 'depthwise'; c: ConvGeometry; ep: SplitEpilogue; full: Value[] }
  | { kind: 'elementwise'; same: Value[] }
  /** x * s or x + s with s one value per (image or batch 1, channel): a squeeze-excitation scale, [N|1, C, 1, 1]. */
  | { kind: 'scale'; x: Value }
  | { kind: 'gap' };

const EW_OPS = new Set([...JS_EXPR_OPS, `ai.layerc::${JS_ELEMENTWISE}`]);
const key = (n: Node) => (n.domain ? `${n.domain}::${n.op}` : n.op);
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
const isF32 = (v: Value | null) => !v || v.type.dtype === 'float32';

/** Whether `n` has a blocked kernel (and how its operands relate), or null. Shapes are static here. */
export function layoutRole(n: Node): LayoutRole | null {
  if (!n.inputs.every(isF32) || !n.outputs.every(isF32) || n.outputs.length !== 1) return null;
  const out = staticShape(n.outputs[0]);
  if (out.length !== 4) return null;
  if (n.op === 'GlobalAveragePool' && !n.domain) return { kind: 'gap' };
  if ((n.op === 'Mul' || n.op === 'Add') && !n.domain && n.inputs.length === 2) {
    const [a, b] = n.inputs.map((v) => staticShape(v));
    const perChannel = (s: number[]) => s.length === 4 && (s[0] === 1 || s[0] === out[0]) && s[1] === out[1] && s[2] === 1 && s[3] === 1;
    const x = a!.join() === out.join() && perChannel(b!) ? n.inputs[0]! : b!.join() === out.join() && perChannel(a!) ? n.inputs[1]! : null;
    if (x && numel(out) !== out[0]! * out[1]!) return { kind: 'scale', x };
  }
  if (EW_OPS.has(key(n))) {
    const same = n.inputs.filter((v): v is Value => !!v && numel(staticShape(v)) !== 1);
    return same.every((v) => staticShape(v).join() === out.join()) ? { kind: 'elementwise', same } : null;
  }
  const parts = convParts(n);
  if (!parts || staticShape(n.inputs[0]).length !== 4 || !n.inputs[1]?.const) return null;
  const c = convGeometry(n, parts.attrs);
  if (!c || c.C % 4 || c.M % 4) return null;
  const ep = splitEpilogue(n, parts.steps, out, 1, true, parts.declared);
  if (!ep || ep.tail.length || !kernelTakes(ep.simd, BLOCKED_OPERANDS)) return null;
  const full = ep.simdOperands.filter((_, i) => ep.simd.filter((s) => s.kind !== 'act')[i]!.per === 'full').map((i) => n.inputs[i]!);
  const pointwise = c.G === 1 && c.KH === 1 && c.KW === 1 && c.SH === 1 && c.SW === 1 && c.PT === 0 && c.PL === 0 && c.OH === c.H && c.OW === c.W;
  if (pointwise) return { kind: 'pointwise', c, ep, full };
  if (c.G === c.C && c.M === c.C && c.G > 1) return { kind: 'depthwise', c, ep, full };
  return null;
}

/** The activations stored NCHWc4 (empty with layout 'nchw', for training, or without SIMD). */
export function planLayout(g: Graph, opts: BuildOptions): Set<Value> {
  const blocked = new Set<Value>();
  if (opts.layout === 'nchw' || opts.training || !opts.simd) return blocked;
  const roles = new Map<Node, LayoutRole>();
  for (const n of g.nodes) { const r = layoutRole(n); if (r) roles.set(n, r); }
  const outputs = new Set(g.outputs);
  // Where a user may read a blocked value.
  const reads = (u: Node, v: Value): boolean => {
    const r = roles.get(u);
    if (!r) return false;
    const at = u.inputs.flatMap((x, i) => (x === v ? [i] : []));
    if (r.kind === 'gap') return at.every((i) => i === 0);
    if (r.kind === 'elementwise') return r.same.includes(v);
    if (r.kind === 'scale') return at.every((i) => u.inputs[i] === r.x);
    return at.every((i) => i === 0 || r.full.includes(v));
  };
  for (const n of roles.keys()) {
    if (roles.get(n)!.kind === 'gap') continue;
    const v = n.outputs[0]!, s = staticShape(v);
    if (s[1]! % 4 === 0 && !outputs.has(v) && v.users.every((u) => reads(u, v))) blocked.add(v);
  }
  const drop = (vs: (Value | null | undefined)[]) => { let c = false; for (const v of vs) if (v && blocked.delete(v)) c = true; return c; };
  for (let changed = true; changed;) {
    changed = false;
    for (const [n, r] of roles) {
      const out = n.outputs[0]!;
      if (r.kind === 'elementwise' || r.kind === 'scale') {
        const vs = [out, ...(r.kind === 'scale' ? [r.x] : r.same)];
        if (!vs.every((v) => blocked.has(v))) changed = drop(vs) || changed;
      } else if (r.kind !== 'gap') {
        // A residual shares the output's layout; a depthwise conv reading a blocked input writes a blocked output.
        if (!blocked.has(out)) changed = drop(r.kind === 'depthwise' ? [n.inputs[0], ...r.full] : r.full) || changed;
        else if (!r.full.every((v) => blocked.has(v))) changed = drop([out]) || changed;
      }
    }
  }
  // Regions (values joined through the nodes that read or write them): kept if a depthwise conv writes into them.
  const parent = new Map<Value, Value>();
  const find = (v: Value): Value => { let p = parent.get(v) ?? v; if (p !== v) { p = find(p); parent.set(v, p); } return p; };
  const join = (a: Value, b: Value) => { if (blocked.has(a) && blocked.has(b)) parent.set(find(a), find(b)); };
  for (const [n, r] of roles) {
    const out = n.outputs[0]!;
    if (r.kind === 'elementwise') r.same.forEach((v) => join(v, out));
    else if (r.kind === 'scale') join(r.x, out);
    else if (r.kind !== 'gap') [n.inputs[0]!, ...r.full].forEach((v) => join(v, out));
  }
  const paying = new Set([...roles].filter(([n, r]) => r.kind === 'depthwise' && blocked.has(n.outputs[0]!)).map(([n]) => find(n.outputs[0]!)));
  for (const v of [...blocked]) if (!paying.has(find(v))) blocked.delete(v);
  return blocked;
}
