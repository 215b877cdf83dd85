// MatMul/Gemm-style [M,K] x [K,N] (+ epilogue) tiled through workgroup memory: each 16x16 workgroup stages a
// 16x16 tile of A and of B per K step, so each input element is read from global memory K/16 times less.
// The epilogue follows src/ops/fused.ts's contract on one running `value` (add/mul with a broadcast operand, act).
import type { EpilogueStep } from '../../../src/ops/fused.ts';
import { declareBindings } from '../shader.ts';
import { emitEpilogue } from '../epilogue.ts';

export const TILE = 16;

export interface MatMulSpec {
  M: number; K: number; N: number;
  /** Gemm's transA/transB: A stored [K, M], B stored [N, K]. */
  transA?: boolean; transB?: boolean;
  /** Epilogue operands, in binding order after a and b; each is [N] (per column) or [M, N]. */
  operands: { per: 'col' | 'full' }[];
  epilogue: EpilogueStep[];
}

export function emitMatMul(s: MatMulSpec): { code: string; wg: [number, number] } {
  const binds = [{ name: 'a', access: 'read' as const }, { name: 'b', access: 'read' as const },
    ...s.operands.map((_, i) => ({ name: `e${i}`, access: 'read' as const })), { name: 'y', access: 'read_write' as const }];
  const operand = (k: number) => `e${k - 2}[${s.operands[k - 2]!.per === 'col' ? 'col' : 'row * N + col'}]`;
  const epi = emitEpilogue(s.epilogue, operand);
  const code = `${declareBindings(binds)}
const M = ${s.M}u; const K = ${s.K}u; const N = ${s.N}u; const T = ${TILE}u;
var<workgroup> ta: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> tb: array<array<f32, ${TILE}>, ${TILE}>;
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = gid.y; let col = gid.x;
  var acc = 0.0;
  for (var k0 = 0u; k0 < K; k0 += T) {
    let ka = k0 + lid.x; let kb = k0 + lid.y;
    ta[lid.y][lid.x] = select(0.0, ${s.transA ? 'a[ka * M + row]' : 'a[row * K + ka]'}, row < M && ka < K);
    tb[lid.y][lid.x] = select(0.0, ${s.transB ? 'b[col * K + kb]' : 'b[kb * N + col]'}, kb < K && col < N);
    workgroupBarrier();
    for (var k = 0u; k < T; k++) { acc += ta[lid.y][k] * tb[k][lid.x]; }
    workgroupBarrier();
  }
  if (row < M && col < N) {
    var value = acc;
${epi}
    y[row * N + col] = value;
  }
}
`;
  return { code, wg: [Math.ceil(s.N / TILE), Math.ceil(s.M / TILE)] };
}
