// GELU written out with Erf or Tanh (every exporter before ONNX opset 20) -> one Gelu. Two rules, rooted at
// the Erf and at the Tanh; each matches the inner part, then the common outer part 0.5 * x * (1 + f):
//   erf:   f = Erf(Div(x, sqrt 2) | Mul(x, 1/sqrt 2) | Mul(1/sqrt 2, x))                         => Gelu(x)
//   tanh:  f = Tanh(Mul(sqrt(2/pi), Add(x, Mul(0.044715, x^3))))  (either operand order of every Mul and Add;
//          x^3 = Mul(x, Mul(x, x)) | Mul(Mul(x, x), x) | Pow(x, 3))                            => Gelu(x, approximate='tanh')
//   outer: p = Add(f, 1) | Add(1, f), then one of the orders torch, TF and keras emit:
//          Mul(Mul(x, p), 0.5)   (torch: x * (1 + f) * 0.5)      Mul(Mul(x, 0.5), p)  (x * 0.5 * (1 + f), 0.5 * x * ...)
//          Mul(Mul(p, 0.5), x)   (keras: x * cdf, cdf = 0.5 * (1 + f))
// with either operand order at each Mul. Constants are one-element float constants equal to what the formula
// says (relative 1e-6: exporters write them in float32 or float64); a structural match with a different
// constant (0.4 for 0.5) is declined and reported. Every intermediate is read only inside the pattern and is
// not a graph output; x itself may have other users. The result keeps x's shape (no constant broadcasts it up).
import type { Graph, Node, Value } from '../src/ir/graph.ts';
import type { Rewriter } from './rewriter.ts';
import { decline, rule, type Decline } from './rewrite-engine.ts';
import { near, onlyUser, otherOperand, producedBy, sameShape, scalarConst, soleUser } from './pattern-match.ts';

interface GeluMatch { x: Value; approximate: 'none' | 'tanh'; nodes: Node[] }

const HALF = 0.5, SQRT2 = Math.SQRT2, SQRT2_OVER_PI = Math.sqrt(2 / Math.PI), KAPPA = 0.044715;

/** A constant check: null when `v` holds `want`, else the reason (v not a scalar constant, or another value). */
function constIs(v: Value | null | undefined, want: number): string | null {
  const c = scalarConst(v);
  if (c === null) return `${v?.name ?? 'an operand'} is not a constant`;
  return near(c, want) ? null : `constant ${c} where the GELU formula has ${want}`;
}

/** Binary `n` (op `op`) has `v` as one operand; returns the other one. */
function operandWith(n: Node | null, op: string, v: Value): Value | null {
  return n && !n.domain && n.op === op ? otherOperand(n, v) : null;
}

/**
 * The outer part after f (the Erf/Tanh output): its nodes, the constants to check, or null. `x` is the GELU input.
 */
function matchOuter(f: Value, x: Value): { nodes: Node[]; consts: [Value, number][] } | null {
  const add = soleUser(f);
  const one = operandWith(add, 'Add', f);
  if (!add || !one || one === x) return null;
  const p = add.outputs[0]!;
  const u = soleUser(p);
  const other = operandWith(u, 'Mul', p);
  if (!u || !other) return null;
  if (other === x) { // Mul(x, p), then Mul(·, 0.5)
    const m2 = soleUser(u.outputs[0]!);
    const half = operandWith(m2, 'Mul', u.outputs[0]!);
    return m2 && half ? { nodes: [add, u, m2], consts: [[one, 1], [half, HALF]] } : null;
  }
  if (other.const) { // Mul(p, 0.5), then Mul(·, x)
    const m2 = soleUser(u.outputs[0]!);
    return m2 && operandWith(m2, 'Mul', u.outputs[0]!) === x ? { nodes: [add, u, m2], consts: [[one, 1], [other, HALF]] } : null;
  }
  const h = producedBy(other, 'Mul', 2); // Mul(Mul(x, 0.5), p)
  const half = h && otherOperand(h, x);
  return h && half?.const && soleUser(other) === u ? { nodes: [add, h, u], consts: [[one, 1], [half, HALF]] } : null;
}

/** The guards shared by both forms, once the structure matched. */
function finish(g: Graph, m: GeluMatch, consts: [Value, number][]): GeluMatch | Decline {
  for (const [v, want] of consts) {
    const why = constIs(v, want);
    if (why) return decline(`GELU pattern: ${why}`, m.nodes);
  }
  const inner = m.nodes.slice(0, -1).flatMap((n) => n.outputs);
  if (!inner.every((v) => onlyUser(g, v))) return decline('GELU pattern: an intermediate has another consumer or is a graph output', m.nodes);
  if (!sameShape(m.nodes.at(-1)!.outputs[0]!, m.x) || m.x.type.dtype !== 'float32') return decline('GELU pattern: result is not float32 of the input\'s shape', m.nodes);
  return m;
}

function matchErfGelu(erf: Node, g: Graph): GeluMatch | Decline | null {
  const t = erf.inputs[0]!;
  const scale = producedBy(t, 'Div', 2) ?? producedBy(t, 'Mul', 2);
  if (!scale) return null;
  // Div(x, sqrt 2), or Mul by 1/sqrt 2 in either order (the constant is the operand that is a constant).
  const [i0, i1] = scale.inputs as [Value, Value];
  const x = scale.op === 'Div' || i1.const ? i0 : i1, k = x === i0 ? i1 : i0;
  if (!k.const || x.const) return null;
  const outer = matchOuter(erf.outputs[0]!, x);
  if (!outer) return null;
  const consts: [Value, number][] = [[k, scale.op === 'Div' ? SQRT2 : 1 / SQRT2], ...outer.consts];
  return finish(g, { x, approximate: 'none', nodes: [scale, erf, ...outer.nodes] }, consts);
}

/** x^3 as Mul(x, Mul(x, x)), Mul(Mul(x, x), x) or Pow(x, 3): its nodes (x being `x`), else null. */
function cubeOf(v: Value, x: Value): { nodes: Node[]; consts: [Value, number][] } | null {
  const pow = producedBy(v, 'Pow', 2);
  if (pow) return pow.inputs[0] === x ? { nodes: [pow], consts: [[pow.inputs[1]!, 3]] } : null;
  const m = producedBy(v, 'Mul', 2);
  const sq = m && otherOperand(m, x);
  const mm = sq && producedBy(sq, 'Mul', 2);
  return m && mm && mm.inputs[0] === x && mm.inputs[1] === x ? { nodes: [mm, m], consts: [] } : null;
}

function matchTanhGelu(tanh: Node, g: Graph): GeluMatch | Decline | null {
  const inner = producedBy(tanh.inputs[0], 'Mul', 2);
  if (!inner) return null;
  const [i0, i1] = inner.inputs as [Value, Value];
  const beta = i0.const ? i0 : i1, sum = beta === i0 ? i1 : i0;
  const add = producedBy(sum, 'Add', 2);
  if (!beta.const || !add) return null;
  for (const x of add.inputs as Value[]) {
    const c3 = producedBy(otherOperand(add, x), 'Mul', 2);
    if (!c3 || x.const) continue;
    const [k0, k1] = c3.inputs as [Value, Value];
    const kappa = k0.const ? k0 : k1, cubeV = kappa === k0 ? k1 : k0;
    const cube = kappa.const ? cubeOf(cubeV, x) : null;
    if (!cube) continue;
    const outer = matchOuter(tanh.outputs[0]!, x);
    if (!outer) return null;
    const consts: [Value, number][] = [...cube.consts, [kappa, KAPPA], [beta, SQRT2_OVER_PI], ...outer.consts];
    return finish(g, { x, approximate: 'tanh', nodes: [...cube.nodes, c3, add, inner, tanh, ...outer.nodes] }, consts);
  }
  return null;
}

function applyGelu(m: GeluMatch, rw: Rewriter, count: (what: string) => void): void {
  const last = m.nodes.at(-1)!, out = last.outputs[0]!;
  const name = `${m.nodes[0]!.name.replace(/\/[^/]*$/, '')}/Gelu`;
  const gelu = rw.addNode('Gelu', [m.x], m.approximate === 'tanh' ? { approximate: 'tanh' } : {}, { name, span: last.span }, last, out);
  rw.replaceAllUses(out, gelu.outputs[0]!);
  for (const n of [...m.nodes].reverse()) rw.remove(n);
  count(m.approximate === 'tanh' ? 'tanh GELU fused into Gelu(approximate=tanh)' : 'erf GELU fused into Gelu');
}

export const geluRules = [
  rule<GeluMatch>({ name: 'erf GELU -> Gelu', root: 'Erf', match: matchErfGelu, apply: applyGelu }),
  rule<GeluMatch>({ name: 'tanh GELU -> Gelu(tanh)', root: 'Tanh', match: matchTanhGelu, apply: applyGelu }),
];
