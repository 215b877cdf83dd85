// Elementwise kernels as generated JS: unary activations from the shared table's `js` snippets (plus a
// few math ops; expressions from src/ops/js-expr.ts; activations with a SIMD form run as a wasm loop instead), and binary arithmetic with numpy
// broadcasting. Broadcasting is compiled away: adjacent axes that broadcast alike are merged, leaving a few
// nested loops with constant strides (a per-channel add becomes rows of one scalar). Threads split the
// outermost merged axis. Each element is read before it is written, so these kernels may run in place
// (program.ts asks the planner for that).
import type { Node } from '../../../src/ir/graph.ts';
import { ACTIVATIONS, activationParams } from '../../../src/ops/activations.ts';
import { prod, split, staticShape, type KernelFactory } from '../kernel.ts';
import { BINARY, LAYERC_BINARY, unaryExpr } from '../../../src/ops/js-expr.ts';
import { hasSimdActivation } from '../wasm/simd-act.ts';
import { emitUnary } from '../wasm/unary.ts';

const isF32 = (n: Node) => [...n.inputs, ...n.outputs].every((v) => !v || v.type.dtype === 'float32');

/** Strides of `shape` broadcast onto `out` (0 along broadcast axes). */
export function broadcastStrides(shape: number[], out: number[]): number[] {
  const a = [...new Array(out.length - shape.length).fill(1), ...shape];
  const st = new Array<number>(out.length).fill(0);
  let acc = 1;
  for (let i = out.length - 1; i >= 0; i--) { st[i] = a[i] === 1 ? 0 : acc; acc *= a[i]!; }
  return st;
}

/** Merges adjacent axes whose strides stay consistent for every operand; drops size-1 axes. */
export function coalesce(out: number[], strides: number[][]): { dims: number[]; strides: number[][] } {
  const dims: number[] = [], sts: number[][] = strides.map(() => []);
  out.forEach((d, i) => {
    if (d === 1) return;
    const k = dims.length - 1;
    if (k >= 0 && strides.every((s, j) => sts[j]![k] === s[i]! * d)) {
      dims[k] *= d;
      strides.forEach((s, j) => { sts[j]![k] = s[i]!; });
      return;
    }
    dims.push(d);
    strides.forEach((s, j) => sts[j]!.push(s[i]!));
  });
  if (!dims.length) { dims.push(1); sts.forEach((s) => s.push(0)); }
  return { dims, strides: sts };
}

/** Nested loops over `dims` (outermost split across threads) evaluating `expr(operands)` into y, after the
 *  statements `pre(operands)` if given. `arrays` names the view each base indexes (default F; ./typed.ts). */
export function loopsJs(dims: number[], strides: number[][], bases: number[], expr: (xs: string[]) => string, pre?: (xs: string[]) => string,
  arrays: readonly string[] = bases.map(() => 'F')): string {
  const r = dims.length, nIn = bases.length - 1;
  const idx = (j: number) => `i${j}`;
  let code = `${split(dims[0]!)}\n`;
  const open: string[] = [];
  for (let d = 0; d < r; d++) {
    const v = `a${d}`;
    const inits = bases.map((b, j) => (d === 0 ? `${idx(j)}_0 = ${b} + lo * ${strides[j]![0]}` : `${idx(j)}_${d} = ${idx(j)}_${d - 1}`)).join(', ');
    const steps = bases.map((_, j) => (strides[j]![d] ? `, ${idx(j)}_${d} += ${strides[j]![d]}` : '')).join('');
    open.push(`for (let ${v} = ${d === 0 ? 'lo' : 0}, ${inits}; ${v} < ${d === 0 ? 'hi' : dims[d]}; ${v}++${steps}) {`);
  }
  const xs = Array.from({ length: nIn }, (_, j) => `${arrays[j + 1]}[${idx(j + 1)}_${r - 1}]`);
  code += open.join('\n') + `\n  ${pre ? pre(xs) : ''}${arrays[0]}[${idx(0)}_${r - 1}] = ${expr(xs)};\n` + '}'.repeat(r);
  return code;
}

export const elementwiseKernel: KernelFactory = (node, opts) => {
  if ((node.domain && node.domain !== 'ai.layerc') || node.outputs.length !== 1 || !isF32(node)) return null;
  const out = staticShape(node.outputs[0]);
  const bin = node.domain ? LAYERC_BINARY[node.op] : BINARY[node.op];
  if (bin && node.inputs.length === 2 && node.inputs.every((v) => v)) {
    const shapes = [out, staticShape(node.inputs[0]), staticShape(node.inputs[1])];
    const { dims, strides } = coalesce(out, shapes.map((s) => broadcastStrides(s, out)));
    return {
      kind: `${node.op} ${dims.join('x')}`,
      emit: (ctx) => ({ phases: [{ js: loopsJs(dims, strides, [node.outputs[0], node.inputs[0], node.inputs[1]].map((v) => ctx.at(v) / 4), (x) => bin(x[0]!, x[1]!)) }] }),
    };
  }
  if (node.domain || !node.inputs[0] || node.inputs[0].isConst) return null;
  const probe = unaryExpr(node, 'x');
  if (probe === null) return null;
  const n = prod(out);
  const act = ACTIVATIONS[node.op];
  if (opts.simd && act && node.op !== 'Clip' && hasSimdActivation(node.op)) {
    // Whole vectors in wasm SIMD (each thread a multiple of 4 elements), the last n % 4 in JS.
    const step = { name: node.op, params: activationParams(act, node.attrs as Record<string, unknown>) };
    return {
      kind: `${node.op} ${n} simd`,
      emit: (ctx) => {
        const fn = ctx.wasmName('act');
        const y = ctx.at(node.outputs[0]) / 4, x = ctx.at(node.inputs[0]) / 4, n4 = Math.floor(n / 4);
        return { wasm: [{ name: fn, code: emitUnary(step) }], phases: [{ js: `${split(n4)}
    W.${fn}((${x} + lo * 4) * 4, (${y} + lo * 4) * 4, hi - lo);
    if (tid === nt - 1) for (let i = ${n4 * 4}; i < ${n}; i++) { const x = F[${x} + i]; F[${y} + i] = ${probe}; }` }] };
      },
    };
  }
  return {
    kind: `${node.op} ${n}`,
    emit: (ctx) => {
      const y = ctx.at(node.outputs[0]) / 4, x = ctx.at(node.inputs[0]) / 4;
      return { phases: [{ js: `${split(n)}\n    for (let i = lo; i < hi; i++) { const x = F[${x} + i]; F[${y} + i] = ${probe}; }` }] };
    },
  };
};
