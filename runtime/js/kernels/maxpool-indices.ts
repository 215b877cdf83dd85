// MaxPool with its Indices output, or on int8/uint8/float64 values (./pool.ts takes the float32 forms without
// Indices), over any number of spatial axes, as generated JS. The window walk is the reference's own table
// (src/ops/window.ts windowTable: per tap and output position, the input position or a negative code for
// padding), placed among the constants; each output takes the first maximum in tap order with NaN winning
// (src/ops/pool.ts), and its index is the flat position in X (row-major, or column-major over the spatial
// axes with storage_order=1), -1 for a window wholly in the padding. Planes (image, channel) split across
// threads; values and indices go through typed views (./typed.ts; int64 indices are held as float64).
import { axisGeometry, readWindowAttrs, windowTable } from '../../../src/ops/window.ts';
import { columnMajor } from '../../../src/ops/pool.ts';
import { RAISE } from '../../../src/ops/dims.ts';
import { prod, split, staticShape, type KernelFactory } from '../kernel.ts';
import { elementAt, viewDecl } from './typed.ts';

/** Table entries past this stay with the reference (the table is a float32 constant: exact below 2^24). */
const MAX_TABLE = 1 << 22;

export const maxPoolIndicesKernel: KernelFactory = (node) => {
  const [y, indices] = node.outputs;
  if (node.domain || node.op !== 'MaxPool' || !y || (indices && indices.type.dtype !== 'int64')) return null;
  const dtype = node.inputs[0]!.type.dtype;
  if (!['float32', 'float64', 'int8', 'uint8'].includes(dtype) || (dtype !== 'float32' && node.inputs[0]!.const)) return null;
  const x = staticShape(node.inputs[0]), ys = staticShape(y);
  const inSp = x.slice(2), outSp = ys.slice(2);
  const win = readWindowAttrs(RAISE, 'MaxPool', node.attrs as Record<string, unknown>, node.attrs.kernel_shape as number[]);
  const geo = inSp.map((d, i) => axisGeometry(win, i, d));
  const S = prod(inSp), O = prod(outSp), K = prod(win.kernel), planes = x[0]! * x[1]!;
  if (O * K > MAX_TABLE || S > MAX_TABLE) return null;
  const table = Float32Array.from(windowTable(outSp, inSp, win.kernel, win.strides, win.dilations, geo.map((g) => g[0]), geo.map((g) => g[1])));
  const colMajor = indices && node.attrs.storage_order ? Float32Array.from(columnMajor(inSp)) : null;
  return {
    kind: `MaxPool ${dtype} ${x.join('x')}->${ys.join('x')}${indices ? ' + Indices' : ''}${colMajor ? ' (column-major)' : ''}`,
    consts: colMajor ? [table, colMajor] : [table],
    emit: (ctx) => {
      const X = elementAt(ctx, node.inputs[0]!), Y = elementAt(ctx, y), T = ctx.consts[0]! / 4;
      const I = indices ? elementAt(ctx, indices) : -1;
      const index = colMajor ? `F[${ctx.consts[1]! / 4} + arg]` : 'arg';
      return { phases: [{ js: `${viewDecl('V', dtype)}${indices ? `\n    ${viewDecl('I', 'int64')}` : ''}
    ${split(planes)}
    for (let nc = lo; nc < hi; nc++) {
      const xb = nc * ${S};
      for (let o = 0; o < ${O}; o++) {
        let best = -Infinity, arg = -1;
        for (let t = ${T} + o, e = t + ${K * O}; t < e; t += ${O}) {
          const j = F[t];
          if (j < 0) continue;
          const v = V[${X} + xb + j];
          if (v > best || (v !== v && best === best)) { best = v; arg = j; }
        }
        V[${Y} + nc * ${O} + o] = best;${indices ? `\n        I[${I} + nc * ${O} + o] = arg < 0 ? -1 : xb + ${index};` : ''}
      }
    }` }] };
    },
  };
};
