// Einsum as generated JS: threads split the output elements; each output decodes its letters' values, then
// nested loops over the summed letters add the product of the operands (float64). An operand's offset is a
// sum of per-letter strides: a letter repeated in one operand adds its strides (the diagonal), a broadcast
// axis of size 1 has stride 0. Same letter order as the reference (src/ops/einsum.ts). float64 operands (the
// ONNX Einsum node tests) go through a Float64Array view of the arena (./typed.ts).
import { stridesOf } from '../../../src/ir/tensor.ts';
import { parseEinsum } from '../../../src/ops/einsum.ts';
import { RAISE } from '../../../src/ops/dims.ts';
import { prod, split, staticShape, type KernelFactory } from '../kernel.ts';
import { elementAt, viewDecl } from './typed.ts';

export const einsumKernel: KernelFactory = (node) => {
  // float32, or float64 (operands read through a Float64Array view, ./typed.ts; constants must be float32).
  const dtype = node.outputs[0]?.type.dtype;
  if (node.domain || node.op !== 'Einsum' || (dtype !== 'float32' && dtype !== 'float64') || node.inputs.some((v) => v?.type.dtype !== dtype || (dtype !== 'float32' && v.const))) return null;
  const shapes = node.inputs.map((v) => staticShape(v));
  const e = parseEinsum(RAISE, String(node.attrs.equation), shapes.map((s) => s.length));
  const size = new Map<string, number>();
  e.inputs.forEach((ls, k) => ls.forEach((l, d) => { if ((size.get(l) ?? 1) === 1) size.set(l, shapes[k]![d]!); }));
  for (const l of e.output) if (!size.has(l)) size.set(l, 1);
  const summed = [...size.keys()].filter((l) => !e.output.includes(l));
  const all = [...e.output, ...summed];
  const stride = shapes.map((s, k) => {
    const st = stridesOf(s), m = new Map<string, number>();
    e.inputs[k]!.forEach((l, d) => { if (s[d] !== 1 || size.get(l) === 1) m.set(l, (m.get(l) ?? 0) + st[d]!); });
    return m;
  });
  const nOut = prod(e.output.map((l) => size.get(l)!));
  const v = (l: string) => `v${all.indexOf(l)}`;
  return {
    kind: `Einsum ${String(node.attrs.equation).replace(/\s+/g, '')}`,
    emit: (ctx) => {
      const bases = node.inputs.map((x) => elementAt(ctx, x!)), Y = elementAt(ctx, node.outputs[0]!);
      const decode = e.output.slice().reverse().map((l) => `const ${v(l)} = q % ${size.get(l)}; q = (q / ${size.get(l)}) | 0;`).join(' ');
      const loops = summed.map((l) => `for (let ${v(l)} = 0; ${v(l)} < ${size.get(l)}; ${v(l)}++) `).join('');
      const term = bases.map((b, k) => `V[${b}${[...stride[k]!].map(([l, s]) => ` + ${v(l)} * ${s}`).join('')}]`).join(' * ');
      return { phases: [{ js: `${viewDecl('V', dtype)}
    ${split(nOut)}
    for (let o = lo; o < hi; o++) {
      let q = o; ${decode}
      let s = 0;
      ${loops}s += ${term};
      V[${Y} + o] = s;
    }` }] };
    },
  };
};
