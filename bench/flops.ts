// FLOPs of a graph's convolutions and matrix products (2 per multiply-add), for GFLOP/s figures.
import type { Graph } from '../src/ir/graph.ts';

export function graphFlops(g: Graph): number {
  let total = 0;
  const size = (s: unknown) => (s as number[]).reduce((a, b) => a * b, 1);
  for (const n of g.nodes) {
    const base = n.op === 'Fused' ? String((n.attrs as Record<string, unknown>).base) : n.op;
    const y = n.outputs[0]?.type.shape, w = n.inputs[1]?.type.shape, a = n.inputs[0]?.type.shape;
    if (!y || !w || !a) continue;
    if (base === 'Conv') total += 2 * size(y) * size((w as number[]).slice(1));
    else if (base === 'Gemm' || base === 'MatMul') {
      const attrs = (n.op === 'Fused' ? (n.attrs as Record<string, unknown>).base_attrs : n.attrs) as Record<string, unknown>;
      const K = base === 'Gemm' && attrs.transA ? (a as number[])[0]! : (a as number[])[(a as number[]).length - 1]!;
      total += 2 * size(y) * K;
    }
  }
  return total;
}
