// Shared pieces of the kernel emitters: the Kernel/BindRef contract between emitters and the executor,
// static-shape access and the LC075 "no kernel" error (which makes the executor run the node on the host).
import type { Node, Value } from '../../src/ir/graph.ts';
import { lcError } from '../../src/diagnostics.ts';

/** A buffer a dispatch binds: a graph value, a per-node scratch buffer (shared by identity), or host-made data. */
export type BindRef = Value | { scratch: string; floats: number } | { data: Float32Array };
export interface Kernel { code: string; wg: number[]; bind: BindRef[] }
export interface EmitOptions {
  /** Use workgroup-memory tiling (GPUs); CPU adapters get direct kernels (see kernels/matmul.ts). */
  tiled?: boolean;
  /** The run is in training mode (ONNX Dropout is active: it runs on the host's dropout stream). */
  training?: boolean;
}
export type Emitter = (n: Node, o: EmitOptions) => Kernel[];

export const unsupported = (n: Node, why: string) => lcError('LC075', ['wgsl', `${n.name} (${n.op})`, why], { node: n.name, op: n.op });

export function shapeOf(n: Node, v: Value | null | undefined): number[] {
  const s = v?.type.shape;
  if (!s || s.some((d) => typeof d !== 'number')) throw unsupported(n, 'shapes must be static');
  return s as number[];
}
export const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
