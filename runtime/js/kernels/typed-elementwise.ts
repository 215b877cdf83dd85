// Elementwise ops on int8/uint8/int32/int64/float64 values (the float32 ones take ./elementwise.ts): Add, Sub,
// Mul, Div (float64 only: integer Div raises on a zero divisor), Max, Min (any number of inputs), Neg, Abs and
// Clip (bounds constant or fed), with broadcasting, as generated JS over typed views (./typed.ts). Each element
// is computed in doubles and stored into the output's view, so integer results wrap modulo 2^bits and float64
// results are the reference interpreter's (src/ops/elementwise.ts) exactly; int32 Mul is Math.imul (a product
// can pass 2^53 before it wraps). A constant operand is read as float32 when every element is one exactly,
// else (float64, large int32) from a literal array in the phase when it is small.
import type { Value } from '../../../src/ir/graph.ts';
import type { DType } from '../../../src/ir/dtype.ts';
import { broadcastStrides, coalesce, loopsJs } from './elementwise.ts';
import { asFloat32, elementAt, viewDecl } from './typed.ts';
import { lit, staticShape, type KernelFactory } from '../kernel.ts';

const TYPED: readonly DType[] = ['int8', 'uint8', 'int32', 'int64', 'float64'];
/** Constant operands that are not float32-exact are inlined up to this many elements (else: reference). */
const INLINE_MAX = 256;

const binary = (op: string, dtype: DType): ((xs: string[]) => string) | null => {
  switch (op) {
    case 'Add': return ([a, b]) => `${a} + ${b}`;
    case 'Sub': return ([a, b]) => `${a} - ${b}`;
    case 'Mul': return dtype === 'int32' ? ([a, b]) => `Math.imul(${a}, ${b})` : ([a, b]) => `${a} * ${b}`;
    case 'Div': return dtype === 'float64' ? ([a, b]) => `${a} / ${b}` : null;
    case 'Max': return (xs) => `Math.max(${xs.join(', ')})`;
    case 'Min': return (xs) => `Math.min(${xs.join(', ')})`;
    default: return null;
  }
};
const UNARY: Record<string, (x: string) => string> = { Neg: (x) => `-${x}`, Abs: (x) => `Math.abs(${x})` };

export const typedElementwiseKernel: KernelFactory = (node) => {
  const y = node.outputs[0];
  if (node.domain || node.outputs.length !== 1 || !y || !TYPED.includes(y.type.dtype)) return null;
  const dtype = y.type.dtype;
  if (node.inputs.some((v) => v && v.type.dtype !== dtype)) return null;
  const out = staticShape(y);
  // The operands the loops read (Clip: only x; its bounds are scalars read once).
  const isClip = node.op === 'Clip';
  const operands = (isClip ? node.inputs.slice(0, 1) : node.inputs) as (Value | null)[];
  const unary = UNARY[node.op];
  const expr = isClip ? ([x]: string[]) => `Math.min(Math.max(${x}, lo_), hi_)` : unary ? ([x]: string[]) => unary(x!) : binary(node.op, dtype);
  if (!expr || !operands.length || operands.some((v) => !v)) return null;
  const consts = operands.map((v) => (v!.const ? asFloat32(v!) : null));
  if (operands.some((v, i) => v!.const && !consts[i] && v!.const.size > INLINE_MAX)) return null;
  const bounds = isClip ? [node.inputs[1], node.inputs[2]] : [];
  if (bounds.some((b) => b && b.const && b.const.size !== 1)) return null;
  const shapes = [out, ...operands.map((v) => staticShape(v))];
  const { dims, strides } = coalesce(out, shapes.map((s) => broadcastStrides(s, out)));
  const placed = consts.filter((c): c is Float32Array => !!c);
  return {
    kind: `${node.op} ${dtype} ${dims.join('x')}`,
    consts: placed,
    emit: (ctx) => {
      let k = 0;
      const literal = (v: Value) => !!v.const && !consts[operands.indexOf(v)];
      const bases = [elementAt(ctx, y), ...operands.map((v, i) => (consts[i] ? ctx.consts[k++]! / 4 : literal(v!) ? 0 : elementAt(ctx, v!)))];
      const arrays = ['T', ...operands.map((v, i) => (consts[i] ? 'F' : literal(v!) ? `L${i}` : 'T'))];
      const literals = operands.map((v, i) => (literal(v!) ? `const L${i} = [${v!.const!.toNumbers().map(lit).join(', ')}];\n    ` : '')).join('');
      const bound = (b: Value | null | undefined, none: string) => (!b ? none : b.const ? lit(Number(b.const.data[0])) : `T[${elementAt(ctx, b)}]`);
      const pre = isClip ? `const lo_ = ${bound(bounds[0], '-Infinity')}, hi_ = ${bound(bounds[1], 'Infinity')};\n    ` : '';
      return { phases: [{ js: `${viewDecl('T', dtype)}\n    ${literals}${pre}${loopsJs(dims, strides, bases, expr, undefined, arrays)}` }] };
    },
  };
};
