// The kernel of a fused elementwise chain (passes/fuse-elementwise.ts, src/ops/elementwise-chain.ts): the elementwise kernel's broadcast loops
// (axes merged, constant strides, outermost axis split across threads), with the chain's straight-line body
// evaluated per element on the leaves read once each.
import { JS_ELEMENTWISE } from '../../../src/ops/elementwise-chain.ts';
import { staticShape, type KernelFactory } from '../kernel.ts';
import { broadcastStrides, coalesce, loopsJs } from './elementwise.ts';

export const jsElementwiseKernel: KernelFactory = (node) => {
  if (node.domain !== 'ai.layerc' || node.op !== JS_ELEMENTWISE) return null;
  const out = staticShape(node.outputs[0]);
  const shapes = [out, ...node.inputs.map((v) => staticShape(v))];
  const { dims, strides } = coalesce(out, shapes.map((s) => broadcastStrides(s, out)));
  const body = String(node.attrs.body).replace(/\$(\d+)/g, 'a$1').replace(/\n/g, ' ');
  return {
    kind: `elementwise chain ${dims.join('x')} (${(body.match(/const t/g) ?? []).length} ops)`,
    emit: (ctx) => ({ phases: [{ js: loopsJs(dims, strides, [node.outputs[0], ...node.inputs].map((v) => ctx.at(v) / 4), () => String(node.attrs.result),
      (xs) => `const ${xs.map((x, i) => `a${i} = ${x}`).join(', ')}; ${body} `) }] }),
  };
};
