// The kernel of a fused elementwise chain (passes/fuse-elementwise.ts, src/ops/elementwise-chain.ts): the elementwise kernel's broadcast loops
// (axes merged, constant strides, outermost axis split across threads), with the chain's straight-line body
// evaluated per element on the leaves read once each. With SIMD, a body of plain arithmetic over contiguous or
// scalar leaves runs in wasm (../wasm/elementwise-chain.ts, the same float64 arithmetic, bit for bit), groups of
// four elements split across threads, the last n % 4 elements in JS.
import { JS_ELEMENTWISE } from '../../../src/ops/elementwise-chain.ts';
import { staticShape, type EmitContext, type KernelFactory } from '../kernel.ts';
import { broadcastStrides, coalesce, loopsJs } from './elementwise.ts';
import { emitChain, parseChain } from '../wasm/elementwise-chain.ts';

export const jsElementwiseKernel: KernelFactory = (node, opts) => {
  if (node.domain !== 'ai.layerc' || node.op !== JS_ELEMENTWISE) return null;
  const out = staticShape(node.outputs[0]);
  const shapes = [out, ...node.inputs.map((v) => staticShape(v))];
  const { dims, strides } = coalesce(out, shapes.map((s) => broadcastStrides(s, out)));
  const body = String(node.attrs.body).replace(/\$(\d+)/g, 'a$1').replace(/\n/g, ' ');
  const statements = opts.simd && dims.length === 1 && strides[0]![0] === 1 && strides.slice(1).every((s) => s[0] === 0 || s[0] === 1)
    ? parseChain(String(node.attrs.body)) : null;
  const kind = `elementwise chain ${dims.join('x')} (${(body.match(/const t/g) ?? []).length} ops)`;
  if (statements) {
    const n = dims[0]!, groups = n >> 2, scalar = strides.slice(1).map((s) => s[0] === 0);
    return {
      kind: `${kind} simd`,
      emit: (ctx: EmitContext) => {
        const fn = ctx.wasmName('chain');
        const [out, ...leaves] = [node.outputs[0], ...node.inputs].map((v) => ctx.at(v));
        const at = (base: number, k: number) => (k < 0 || !scalar[k] ? `${base} + g0 * 16` : `${base}`);
        const tail = n % 4 ? `
    if (tid === nt - 1) for (let i = ${groups * 4}; i < ${n}; i++) {
      const ${leaves.map((b, k) => `a${k} = F[${b / 4}${scalar[k] ? '' : ' + i'}]`).join(', ')}; ${body} F[${out! / 4} + i] = ${String(node.attrs.result).replace(/\$(\d+)/g, 'a$1')};
    }` : '';
        return { wasm: [{ name: fn, code: emitChain(statements, scalar, String(node.attrs.result)) }], phases: [{ js: `const g0 = Math.floor(${groups} * tid / nt), g1 = Math.floor(${groups} * (tid + 1) / nt);
    W.${fn}(${at(out!, -1)}, ${leaves.map((b, k) => at(b, k)).join(', ')}, g1 - g0);${tail}` }] };
      },
    };
  }
  return {
    kind,
    emit: (ctx) => ({ phases: [{ js: loopsJs(dims, strides, [node.outputs[0], ...node.inputs].map((v) => ctx.at(v) / 4), () => String(node.attrs.result),
      (xs) => `const ${xs.map((x, i) => `a${i} = ${x}`).join(', ')}; ${body} `) }] }),
  };
};
