// ai.layerc::JsElementwise: a chain of elementwise ops merged into one loop (made by the lowering pass
// passes/fuse-elementwise.ts for backends that run JS; the js backend's kernel is
// runtime/js/kernels/js-elementwise.ts). The leaves are its inputs (each may broadcast), `body` is
// straight-line JS computing t0, t1, ... from leaves $0, $1, ... in float64, and `result` names the value
// stored (rounded to float32 once). The reference implementation runs the same body per element, so the
// interpreter, the per-node fallback and the kernel agree.
import { defineOp } from '../ir/registry.ts';
import type { Tensor } from '../ir/tensor.ts';
import { broadcastShapes } from './util.ts';
import { broadcastNary } from './elementwise.ts';

export const JS_ELEMENTWISE = 'JsElementwise';

/** A function (leaves...) => value of the fused body, for the reference implementation. */
function compileBody(body: string, result: string, leaves: number): (...xs: number[]) => number {
  const args = Array.from({ length: leaves }, (_, i) => `a${i}`);
  return new Function(...args, `${body.replace(/\$(\d+)/g, 'a$1')}\nreturn ${result};`) as (...xs: number[]) => number;
}

defineOp({
  name: JS_ELEMENTWISE,
  domain: 'ai.layerc',
  summary: 'js backend: a fused chain of elementwise ops (straight-line JS body over broadcast leaves)',
  attrs: { body: { type: 'string', required: true }, result: { type: 'string', required: true } },
  inputs: [1, 1000],
  outputs: [1, 1],
  inferType(ctx) {
    let shape = ctx.inputs[0]!.shape;
    for (const t of ctx.inputs.slice(1)) shape = shape && t!.shape ? broadcastShapes(shape, t!.shape) : null;
    return [{ dtype: 'float32', shape }];
  },
  evalRef(inputs, { attrs }) {
    const f = compileBody(String(attrs.body), String(attrs.result), inputs.length);
    return [broadcastNary(inputs as Tensor[], (xs: number[]) => f(...xs), 'float32')];
  },
});
