// Affine chains for fold-batchnorm: a run of links next to a linear op, each link a per-channel affine map
// y = a[c] * x + s[c] on one channel axis: a BatchNormalization (inference, constant parameters), a Mul/Div by a
// per-channel constant, an Add/Sub of one (x - c = x + (-c), c - x = -x + c, x / c = x * (1/c) when no c is 0
// and 1/c is a finite float32). Finding and composing a chain only reads the graph (the rules' match is pure).
import type { Graph, Node, Value } from '../src/ir/graph.ts';
import { batchNormBlocker, batchNormScaleShift } from './simplify-inference.ts';

export interface Affine { a: Float64Array; s: Float64Array }
export interface Chain extends Affine { links: Node[]; first: Value; last: Value; scales: boolean }
/** Where a chain can sit: the channel axis and count of the tensor it maps, and the tensor's rank. */
export interface Site { axis: number; C: number; rank: number }

export const isF32Const = (v: Value | null | undefined): v is Value => !!v?.const && v.const.dtype === 'float32';
export const nums = (v: Value) => v.const!.data as ArrayLike<number>;

/** The link `n` (reading `x`) as a per-channel affine map at `site`, or null. */
function linkAffine(n: Node, x: Value, site: Site): Affine | null {
  if (n.domain || n.outputs.length !== 1 || n.inputs[0] === null) return null;
  const { axis, C, rank } = site;
  if (n.op === 'BatchNormalization') {
    if (n.inputs[0] !== x || axis !== 1 || batchNormBlocker(n) || n.inputs[1]!.const!.size !== C) return null;
    return batchNormScaleShift(n);
  }
  if (!['Mul', 'Add', 'Sub', 'Div'].includes(n.op) || n.inputs.length !== 2) return null;
  const k = n.inputs[0] === x ? n.inputs[1] : n.inputs[1] === x ? n.inputs[0] : null;
  if (!isF32Const(k) || k === x || x.type.dtype !== 'float32') return null;
  // c / x is not affine in x; x / c is x * (1/c) only when every 1/c is a finite float32.
  if (n.op === 'Div' && (n.inputs[0] !== x || !Array.from(nums(k)).every((v) => v !== 0 && Number.isFinite(Math.fround(1 / v))))) return null;
  const ks = k.const!.shape;
  if (ks.length > rank) return null;
  const off = rank - ks.length;
  if (!ks.every((d, i) => d === 1 || (i + off === axis && d === C))) return null;
  const vals = nums(k), perChannel = k.const!.size === C && C > 1;
  const at = (c: number) => vals[perChannel ? c : 0]!;
  const a = new Float64Array(C).fill(1), s = new Float64Array(C);
  const reversed = n.inputs[0] !== x; // c - x = -x + c
  for (let c = 0; c < C; c++) {
    const v = at(c);
    if (n.op === 'Mul') a[c] = v;
    else if (n.op === 'Div') a[c] = 1 / v;
    else if (n.op === 'Add') s[c] = v;
    else if (reversed) { a[c] = -1; s[c] = v; } else s[c] = -v;
  }
  return { a, s };
}

export const single = (g: Graph, v: Value): Node | null => (v.users.length === 1 && !g.outputs.includes(v) ? v.users[0]! : null);

/** Composes links (each reading the previous one's output, the first reading `first`): y = a * x + s. */
function compose(links: Node[], first: Value, site: Site): Chain | null {
  const a = new Float64Array(site.C).fill(1), s = new Float64Array(site.C);
  let cur = first, scales = false;
  for (const u of links) {
    const f = linkAffine(u, cur, site);
    if (!f) return null;
    for (let c = 0; c < site.C; c++) { a[c]! *= f.a[c]!; s[c] = s[c]! * f.a[c]! + f.s[c]!; }
    scales ||= !(u.op === 'Add' || (u.op === 'Sub' && u.inputs[0] === cur)); // a pure shift (x + c, x - c)
    cur = u.outputs[0]!;
  }
  return links.length ? { a, s, links, first, last: cur, scales } : null;
}

/** The longest chain of links starting at the sole user of `v`. */
export function chainAfter(g: Graph, v: Value, site: Site): Chain | null {
  const links: Node[] = [];
  let cur = v;
  for (let u = single(g, cur); u && linkAffine(u, cur, site); u = single(g, cur)) {
    links.push(u);
    cur = u.outputs[0]!;
  }
  return compose(links, v, site);
}

/** The longest chain of links ending at `x`, each link's output used only by the next (x: by the consumer). */
export function chainBefore(g: Graph, x: Value, site: Site): Chain | null {
  const links: Node[] = [];
  let cur = x;
  while (cur.producer && single(g, cur)) {
    const p = cur.producer;
    const data = p.inputs.find((v) => v && !v.const) ?? null;
    // The map must not broadcast its input up (x [3, 1] + c [1, 4]): the consumer would then read a smaller tensor.
    if (!data || JSON.stringify(data.type.shape) !== JSON.stringify(cur.type.shape) || !linkAffine(p, data, site)) break;
    links.unshift(p);
    cur = data;
  }
  return compose(links, cur, site);
}

