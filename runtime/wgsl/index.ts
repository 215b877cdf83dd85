// The 'wgsl' backend: emits one WGSL kernel per node, compiles each once (pipeline cache keyed by source),
// uploads weights once, gives every value its own buffer (runtime/plan.ts to come), encodes a run into one
// command buffer and reads back only the graph outputs.
import type { Backend, CompiledModel } from '../backend.ts';
import type { Graph, Node } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { lcError } from '../../src/diagnostics.ts';
import { compileShader } from './shader.ts';
import { openDevice } from './device.ts';
import { emitNode, type Kernel } from './emit-node.ts';

export { emitNode };

export async function compileWgsl(graph: Graph, gpu?: GPU, emit: (n: Node) => Kernel = emitNode): Promise<CompiledModel> {
  const { device, adapterName } = await openDevice(gpu);
  try {
    const cache = new Map<string, GPUComputePipeline>();
    const buffers = new Map<string, GPUBuffer>();
    const size = (s: readonly (number | string)[]) => Math.max(4, (s as number[]).reduce((a, b) => a * b, 1) * 4);
    const bufferFor = (name: string, shape: readonly (number | string)[]) => {
      let b = buffers.get(name);
      if (!b) {
        b = device.createBuffer({ size: size(shape), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
        buffers.set(name, b);
      }
      return b;
    };
    for (const c of graph.initializers) device.queue.writeBuffer(bufferFor(c.name, c.const!.shape), 0, Float32Array.from(c.const!.data as ArrayLike<number>));
    const steps: { pipeline: GPUComputePipeline; group: GPUBindGroup; wg: [number, number] }[] = [];
    for (const n of graph.nodes) {
      const { code, wg, bind } = emit(n);
      let pipeline = cache.get(code);
      if (!pipeline) { pipeline = await compileShader(device, code, { node: n.name, op: n.op }); cache.set(code, pipeline); }
      const group = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: bind.map((v, i) => ({ binding: i, resource: { buffer: bufferFor(v.name, v.type.shape!) } })),
      });
      steps.push({ pipeline, group, wg });
    }
    return {
      info: { adapter: adapterName, kernels: steps.length, pipelines: cache.size },
      async run(feeds) {
        for (const v of graph.inputs) {
          const t = feeds[v.name];
          if (!t) throw lcError('LC075', ['wgsl', graph.name ?? 'graph', `missing input '${v.name}'`]);
          device.queue.writeBuffer(bufferFor(v.name, t.shape), 0, Float32Array.from(t.data as ArrayLike<number>));
        }
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        for (const s of steps) { pass.setPipeline(s.pipeline); pass.setBindGroup(0, s.group); pass.dispatchWorkgroups(s.wg[0], s.wg[1]); }
        pass.end();
        const reads = graph.outputs.map((v) => {
          const src = buffers.get(v.name)!;
          const rb = device.createBuffer({ size: src.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
          enc.copyBufferToBuffer(src, 0, rb, 0, src.size);
          return rb;
        });
        device.queue.submit([enc.finish()]);
        const result: Record<string, Tensor> = {};
        for (const [i, v] of graph.outputs.entries()) {
          await reads[i]!.mapAsync(GPUMapMode.READ);
          const shape = v.type.shape as number[];
          result[v.name] = new Tensor('float32', shape, new Float32Array(reads[i]!.getMappedRange().slice(0, shape.reduce((a, b) => a * b, 1) * 4)));
          reads[i]!.destroy();
        }
        return result;
      },
      async dispose() { for (const b of buffers.values()) b.destroy(); device.destroy(); },
    };
  } catch (e) { device.destroy(); throw e; }
}

const wgsl: Backend = { name: 'wgsl', compile: (graph) => compileWgsl(graph) };
export default wgsl;
