// eliminate-identity: removes nodes that return one of their inputs unchanged. The rewrites are a table of
// rules (tinygrad style), one row per op with its algebra; a rule returns the input that the node's output
// equals, or null to decline. Each row becomes a rule of the pattern engine (./rewrite-engine.ts), which
// applies it only when the node's output has exactly the
// input's dtype and shape (so `x + 0` that broadcasts x to a bigger shape is kept), when the node's other
// outputs are unused, and when a graph output keeps its name: `Graph.replaceAllUses` renames the surviving
// value to the output's name, which is impossible when that value is a graph input, an initializer or
// another graph output — those cases are left alone.
import type { Dim, Graph, Node, Value } from '../src/ir/graph.ts';
import { isStatic } from '../src/ir/graph.ts';
import { ONNX_DTYPES } from '../src/ops/shape.ts';
import type { Pass } from './pass.ts';
import { decline, rule, rulePass, type Rule } from './rewrite-engine.ts';

type Equals = (n: Node, g: Graph) => Value | null;

const x0 = (n: Node) => n.inputs[0] ?? null;
const constOf = (v: Value | null | undefined, g: Graph) => (v && v.const && !g.inputs.includes(v) ? v.const : null);
const allEqual = (v: Value | null | undefined, g: Graph, k: number) => {
  const t = constOf(v, g);
  return t !== null && t.size > 0 && Array.from(t.data as ArrayLike<number>).every((e) => e === k);
};
/** The output has the input's exact shape; Squeeze/Flatten of symbolic dims count only when fully static. */
const sameStaticShape = (n: Node) => isStatic(x0(n)?.type.shape ?? null) && sameShape(x0(n)!.type.shape, n.outputs[0]!.type.shape);

export const RULES: Record<string, Equals> = {
  // Identity(x) -> x
  Identity: x0,
  // Dropout(x) -> x outside training (no training_mode input, or a constant false one), or with ratio 0
  Dropout: (n, g) => {
    const mode = n.inputs[2];
    if (!mode || allEqual(mode, g, 0) || allEqual(n.inputs[1], g, 0)) return x0(n);
    return null;
  },
  // Reshape(x, s) -> x when the target is constant and gives x's shape (symbols compare by name: the shape
  // rule resolves 0 and -1 exactly, so [N, 12] with [0, 12] or [-1, 12] stays [N, 12])
  Reshape: (n, g) => (constOf(n.inputs[1], g) && sameShape(x0(n)?.type.shape, n.outputs[0]!.type.shape) ? x0(n) : null),
  // Transpose(x, perm=[0, 1, ..., r-1]) -> x (the default perm reverses, an identity only for rank <= 1)
  Transpose: (n) => {
    const r = x0(n)?.type.shape?.length;
    if (r === undefined) return null;
    const p = (n.attrs.perm as number[] | undefined) ?? Array.from({ length: r }, (_, i) => r - 1 - i);
    return p.every((a, i) => a === i || a === i - r) ? x0(n) : null;
  },
  // Squeeze(x) / Unsqueeze(x, []) / Flatten(x) / Expand(x, s) -> x when nothing changes shape
  Squeeze: (n) => (sameStaticShape(n) ? x0(n) : null),
  Unsqueeze: (n) => (sameStaticShape(n) ? x0(n) : null),
  Flatten: (n) => (sameShape(x0(n)?.type.shape, n.outputs[0]!.type.shape) && x0(n)!.type.shape!.length === 2 ? x0(n) : null),
  Expand: (n) => (sameStaticShape(n) ? x0(n) : null),
  // Cast(x, to=dtype(x)) -> x
  Cast: (n) => (ONNX_DTYPES[n.attrs.to as number] === x0(n)?.type.dtype ? x0(n) : null),
  // Pad(x, pads=0...) -> x whatever the mode
  Pad: (n, g) => (allEqual(n.inputs[1], g, 0) ? x0(n) : null),
  // Tile(x, repeats=1...) -> x
  Tile: (n, g) => (allEqual(n.inputs[1], g, 1) ? x0(n) : null),
  // Concat(x) -> x
  Concat: (n) => (n.inputs.length === 1 ? x0(n) : null),
  // x + 0 -> x, 0 + x -> x, x - 0 -> x
  Add: (n, g) => (allEqual(n.inputs[1], g, 0) ? x0(n) : allEqual(n.inputs[0], g, 0) ? n.inputs[1]! : null),
  Sub: (n, g) => (allEqual(n.inputs[1], g, 0) ? x0(n) : null),
  // x * 1 -> x, 1 * x -> x, x / 1 -> x
  Mul: (n, g) => (allEqual(n.inputs[1], g, 1) ? x0(n) : allEqual(n.inputs[0], g, 1) ? n.inputs[1]! : null),
  Div: (n, g) => (allEqual(n.inputs[1], g, 1) ? x0(n) : null),
};

export function sameShape(a: readonly Dim[] | null | undefined, b: readonly Dim[] | null | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Why `out` cannot be replaced by `src`, or null when it can. */
function refusal(g: Graph, n: Node, src: Value): string | null {
  const out = n.outputs[0]!;
  if (src.type.dtype !== out.type.dtype || !sameShape(src.type.shape, out.type.shape)) return 'output type differs from the input (broadcast or unknown shape)';
  if (n.outputs.slice(1).some((o) => o.users.length || g.outputs.includes(o))) return 'a second output is used';
  if (g.outputs.includes(out) && (!src.producer || g.outputs.includes(src))) return 'graph output would lose its name';
  return null;
}

/** The table as engine rules: match finds the surviving input (or declines with the refusal), apply rewires. */
export const IDENTITY_RULES: Rule[] = Object.entries(RULES).map(([op, equals]) => rule({
  name: `${op} removed`,
  root: op,
  match(n, g) {
    const src = equals(n, g);
    if (!src) return null;
    const why = refusal(g, n, src);
    return why ? decline(why, [n]) : { n, src };
  },
  apply({ n, src }, rw, count) {
    rw.replaceAllUses(n.outputs[0]!, src);
    rw.remove(n);
    count(`${op} removed`);
  },
}));

export const eliminateIdentity: Pass = rulePass('eliminate-identity',
  'removes Identity, inference Dropout, no-op Reshape/Transpose/Squeeze/Cast/Pad/Concat, x*1 and x+0', IDENTITY_RULES);
