// Physical GPU buffers for a static memory plan (runtime/plan.ts). The plan's alias groups (a value and its
// views) are its buffers; groups whose live ranges do not intersect share one GPUBuffer (interval colouring,
// smallest free buffer that fits, else a new one). One GPUBuffer per group instead of one arena with offsets:
// WebGPU forbids binding a buffer read-only and writable in the same dispatch, and a kernel reads its
// inputs read-only while it writes its output, which is live at the same step and so never shares a buffer.
// Everything on the device is f32 (4 bytes an element, whatever the value's dtype).
import type { Graph, Value } from '../../src/ir/graph.ts';
import { planMemory, type MemoryPlan } from '../../runtime/plan.ts';
import { isViewNode } from '../../src/ir/registry.ts';

export const USAGE_STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export const floats = (v: Value) => (v.type.shape as number[]).reduce((a, b) => a * b, 1);

export interface BufferAssignment {
  /** Buffer index per planned value name. */
  of: Map<string, number>;
  /** Byte size of each physical buffer. */
  sizes: number[];
  plan: MemoryPlan;
}

export function assignBuffers(g: Graph, training: boolean): BufferAssignment {
  const plan = planMemory(g, {
    isView: (n) => isViewNode(n, training),
    inPlaceInput: () => -1,
  });
  const byName = new Map(g.nodes.flatMap((n) => n.outputs).concat(g.inputs).map((v) => [v.name, v]));
  const groups = plan.buffers.filter((b) => b.values.length > 0).map((b) => ({
    ...b, bytes: Math.max(4, ...b.values.map((n) => floats(byName.get(n)!) * 4)),
  })).sort((a, b) => a.start - b.start);
  const sizes: number[] = [], freeAt: number[] = [];
  const of = new Map<string, number>();
  for (const grp of groups) {
    let best = -1;
    for (let i = 0; i < sizes.length; i++) {
      if (freeAt[i]! < grp.start && sizes[i]! >= grp.bytes && (best < 0 || sizes[i]! < sizes[best]!)) best = i;
    }
    if (best < 0) { best = sizes.length; sizes.push(grp.bytes); freeAt.push(-1); }
    freeAt[best] = grp.end;
    for (const n of grp.values) of.set(n, best);
  }
  return { of, sizes, plan };
}
