// Batched MatMul/Gemm-style [.., M, K] x [.., K, N] (+ epilogue) tiled through workgroup memory: each 16x16
// workgroup stages a 16x16 tile of A and of B per K step, so each input element is read from global memory
// K/16 times less. Batch dims broadcast (numpy rules) and run along the dispatch's z axis. The epilogue
// follows src/ops/fused.ts's contract on one running `value` (add/mul with a broadcast operand, act).
// CPU adapters (lavapipe, SwiftShader) get the direct form instead (one thread per output, K loop over
// global memory): they compile workgroup barriers into coroutines, ~10 s per pipeline on lavapipe, and their
// "global" memory is the CPU cache anyway.
import type { EpilogueStep } from '../../../src/ops/fused.ts';
import { floatLiteral } from '../../../src/ops/activations.ts';
import { broadcastIndex, declareBindings } from '../shader.ts';
import { emitEpilogue, operandBindings, type Operand } from '../epilogue.ts';

export const TILE = 16;

export interface MatMulSpec {
  M: number; K: number; N: number;
  /** Gemm's transA/transB: A stored [K, M], B stored [N, K]. */
  transA?: boolean; transB?: boolean;
  /** Batch dims of A, B and the output (empty for 2-D). */
  batchA?: number[]; batchB?: number[]; batch?: number[];
  /** Gemm's alpha: scales A*B before the epilogue. */
  alpha?: number;
  /** Epilogue operands, bound after a and b ('chan' = per output column). */
  operands: Operand[];
  epilogue: EpilogueStep[];
  /** Stage tiles through workgroup memory (default true; false for CPU adapters). */
  tiled?: boolean;
}

export function emitMatMul(s: MatMulSpec): { code: string; wg: [number, number, number] } {
  const batch = s.batch ?? [], B = batch.reduce((a, b) => a * b, 1);
  const aOff = broadcastIndex('bz', batch, s.batchA ?? []), bOff = broadcastIndex('bz', batch, s.batchB ?? []);
  const binds = [{ name: 'a', access: 'read' as const }, { name: 'b', access: 'read' as const }, ...operandBindings(s.operands), { name: 'y', access: 'read_write' as const }];
  const out = [...batch, s.M, s.N];
  const epi = emitEpilogue(s.epilogue, s.operands, 'flat', 'col', out);
  const scale = s.alpha !== undefined && s.alpha !== 1 ? ` * ${floatLiteral(s.alpha)}` : '';
  if (s.tiled === false) return emitDirect(s, declareBindings(binds), aOff, bOff, scale, epi, B);
  const code = `${declareBindings(binds)}
const M = ${s.M}u; const K = ${s.K}u; const N = ${s.N}u; const T = ${TILE}u;
var<workgroup> ta: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> tb: array<array<f32, ${TILE}>, ${TILE}>;
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = gid.y; let col = gid.x; let bz = gid.z;
  let ab = (${aOff}) * M * K; let bb = (${bOff}) * K * N;
  var acc = 0.0;
  for (var k0 = 0u; k0 < K; k0 += T) {
    let ka = k0 + lid.x; let kb = k0 + lid.y;
    ta[lid.y][lid.x] = select(0.0, ${s.transA ? 'a[ab + ka * M + row]' : 'a[ab + row * K + ka]'}, row < M && ka < K);
    tb[lid.y][lid.x] = select(0.0, ${s.transB ? 'b[bb + col * K + kb]' : 'b[bb + kb * N + col]'}, kb < K && col < N);
    workgroupBarrier();
    for (var k = 0u; k < T; k++) { acc += ta[lid.y][k] * tb[k][lid.x]; }
    workgroupBarrier();
  }
  if (row < M && col < N) {
    let flat = (bz * M + row) * N + col;
    var value = acc${scale};
${epi}
    y[flat] = value;
  }
}
`;
  return { code, wg: [Math.ceil(s.N / TILE), Math.ceil(s.M / TILE), B] };
}

const DIRECT = 8;

function emitDirect(s: MatMulSpec, binds: string, aOff: string, bOff: string, scale: string, epi: string, B: number): { code: string; wg: [number, number, number] } {
  const code = `${binds}
const M = ${s.M}u; const K = ${s.K}u; const N = ${s.N}u;
@compute @workgroup_size(${DIRECT}, ${DIRECT})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let row = gid.y; let col = gid.x; let bz = gid.z;
  let rt0 = min(nw.x, 1u) - 1u; // an opaque zero: see shader.ts mainStart
  if (row >= M || col >= N) { return; }
  let ab = (${aOff}) * M * K; let bb = (${bOff}) * K * N;
  var acc = 0.0;
  for (var k = 0u; k < K + rt0; k++) { acc += ${s.transA ? 'a[ab + k * M + row]' : 'a[ab + row * K + k]'} * ${s.transB ? 'b[bb + col * K + k]' : 'b[bb + k * N + col]'}; }
  let flat = (bz * M + row) * N + col;
  var value = acc${scale};
${epi}
  y[flat] = value;
}
`;
  return { code, wg: [Math.ceil(s.N / DIRECT), Math.ceil(s.M / DIRECT), B] };
}
