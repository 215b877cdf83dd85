// The WebGPU executor for a graph with static shapes. Compile: every node gets its WGSL kernels (emit-node)
// or, when it has none, a host step (reference op on read-back inputs); each distinct source is compiled
// once (pipeline cache keyed by source); weights are uploaded once; activations live in the buffers the
// memory plan assigns (buffers.ts); view nodes (Reshape, Flatten, ...) share their input's buffer and cost
// nothing. Run: all consecutive GPU dispatches go into one compute pass of one command buffer; a host step
// ends the pass, reads back only what it needs, and uploads its outputs; only graph outputs are read back.
// Read-backs wait without spinning the CPU (gpu-wait.ts).
import type { Graph, Node, Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { isLayercError, lcError } from '../../src/diagnostics.ts';
import type { CompiledModel } from '../backend.ts';
import { compileShader } from './shader.ts';
import { settle } from './gpu-wait.ts';
import { emitNode, type BindRef, type EmitOptions, type Kernel } from './emit-node.ts';
import { assignBuffers, floats, USAGE_STORAGE } from './buffers.ts';
import { evalHost, toDtype } from './host.ts';
import { dropoutStream } from '../../src/random.ts';
import { checkPlanBytes, checkStaticGraph } from '../../src/ir/budget.ts';

export interface ExecutorOptions {
  training?: boolean;
  seed?: number;
  /** Kernel emitter (tests swap it to inject a broken shader). */
  emit?: (n: Node, o: EmitOptions) => Kernel[];
  /** Pipelines by WGSL source, shared with other models built on the same device (default: this model's own). */
  pipelines?: Map<string, GPUComputePipeline>;
}

interface Dispatch { pipeline: GPUComputePipeline; group: GPUBindGroup; wg: number[] }
type Step = { gpu: Dispatch[]; node: Node } | { host: Node };

/**
 * WGSL indexes with u32 and binds at most maxStorageBufferBindingSize bytes per buffer: a value past either
 * (possible once the element limit is raised) is a clear LC075 before any shader is generated, not a WGSL
 * compile error reported as a layerc bug (LC081).
 */
function checkDeviceFits(graph: Graph, device: GPUDevice): void {
  const maxBytes = device.limits.maxStorageBufferBindingSize;
  for (const n of graph.nodes) {
    for (const v of [...n.inputs, ...n.outputs]) {
      const s = v?.type.shape;
      if (!v || !s || !s.every((d): d is number => typeof d === 'number')) continue;
      const elements = s.reduce((a, b) => a * b, 1);
      if (elements > 0xffffffff) throw lcError('LC075', ['wgsl', `${n.name} (${n.op})`, `value '${v.name}' [${s.join(', ')}] needs indices past the u32 range`], { node: n.name, op: n.op });
      if (elements * 4 > maxBytes) throw lcError('LC075', ['wgsl', `${n.name} (${n.op})`, `value '${v.name}' needs ${elements * 4} bytes; this device binds at most ${maxBytes} bytes per buffer`], { node: n.name, op: n.op });
    }
  }
}

/** Reason a node runs on the host, or null when it has kernels. */
function tryEmit(n: Node, emit: (n: Node, o: EmitOptions) => Kernel[], o: EmitOptions): Kernel[] | string {
  try { return emit(n, o); } catch (e) {
    if (isLayercError(e) && e.code === 'LC075') return e.message;
    throw e;
  }
}


export async function buildExecutor(graph: Graph, device: GPUDevice, adapterName: string, opts: ExecutorOptions = {}, cpuAdapter = false): Promise<CompiledModel> {
  const training = !!opts.training;
  const emit = opts.emit ?? emitNode;
  checkStaticGraph(graph);
  const { of, sizes, plan } = assignBuffers(graph, training);
  const weightBytes = graph.initializers.reduce((a, v) => a + (v.const ? Math.max(4, v.const.size * 4) : 0), 0);
  checkPlanBytes(sizes.reduce((a, b) => a + b, 0) + weightBytes, 'the wgsl buffers (activations and weights)');
  checkDeviceFits(graph, device);
  const buffers = sizes.map((size) => device.createBuffer({ size, usage: USAGE_STORAGE() }));
  const weights = new Map<string, GPUBuffer>();
  const scratch: GPUBuffer[] = [];
  const scratchByName = new Map<string, GPUBuffer>();
  const bufferOf = (v: Value): GPUBuffer => {
    if (v.const) {
      let b = weights.get(v.name);
      if (!b) {
        b = device.createBuffer({ size: Math.max(4, v.const.size * 4), usage: USAGE_STORAGE() });
        device.queue.writeBuffer(b, 0, Float32Array.from(v.const.data as ArrayLike<number>));
        weights.set(v.name, b);
      }
      return b;
    }
    const i = of.get(v.name);
    if (i === undefined) throw lcError('LC076', [v.name, 'no buffer was planned for it']);
    return buffers[i]!;
  };
  const views = new Set(plan.views);
  const cache = opts.pipelines ?? new Map<string, GPUComputePipeline>();
  const steps: Step[] = [];
  const fallbacks: string[] = [];
  let kernels = 0;
  try {
    for (const n of graph.nodes) {
      if (views.has(n.name)) continue;
      const ks = tryEmit(n, emit, { tiled: !cpuAdapter, training });
      if (typeof ks === 'string') { steps.push({ host: n }); fallbacks.push(`${n.name} (${n.op})`); continue; }
      const gpu: Dispatch[] = [];
      for (const k of ks) {
        let pipeline = cache.get(k.code);
        if (!pipeline) { pipeline = await compileShader(device, k.code, { node: n.name, op: n.op }); cache.set(k.code, pipeline); }
        const entries = k.bind.map((r: BindRef, binding) => {
          if ('scratch' in r || 'data' in r) {
            const key = 'scratch' in r ? r.scratch : null;
            let b = key ? scratchByName.get(key) : undefined;
            if (!b) {
              b = device.createBuffer({ size: Math.max(4, ('data' in r ? r.data.length : r.floats) * 4), usage: USAGE_STORAGE() });
              if ('data' in r) device.queue.writeBuffer(b, 0, r.data);
              scratch.push(b);
              if (key) scratchByName.set(key, b);
            }
            return { binding, resource: { buffer: b } };
          }
          return { binding, resource: { buffer: bufferOf(r), offset: 0, size: Math.max(4, floats(r) * 4) } };
        });
        gpu.push({ pipeline, group: device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }), wg: k.wg });
        kernels++;
      }
      steps.push({ gpu, node: n });
    }
  } catch (e) {
    for (const b of [...buffers, ...weights.values(), ...scratch]) b.destroy();
    throw e;
  }

  const readBack = async (vs: Value[]): Promise<Float32Array[]> => {
    const enc = device.createCommandEncoder();
    const rbs = vs.map((v) => {
      const bytes = Math.max(4, floats(v) * 4);
      const rb = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      enc.copyBufferToBuffer(bufferOf(v), 0, rb, 0, bytes);
      return rb;
    });
    device.queue.submit([enc.finish()]);
    const out: Float32Array[] = [];
    for (const [i, rb] of rbs.entries()) {
      await settle(rb.mapAsync(GPUMapMode.READ));
      out.push(new Float32Array(rb.getMappedRange().slice(0, floats(vs[i]!) * 4)));
      rb.destroy();
    }
    return out;
  };
  const random = dropoutStream(opts.seed);

  const info: Record<string, string | number> = { adapter: adapterName, matmul: cpuAdapter ? 'direct (CPU adapter)' : 'tiled', kernels, pipelines: cache.size, buffers: buffers.length,
    bufferBytes: sizes.reduce((a, b) => a + b, 0) };
  if (fallbacks.length) info.hostFallback = fallbacks.join(', ');
  return {
    info,
    async run(feeds) {
      const host = new Map<string, Tensor>();
      for (const v of graph.inputs) {
        const t = feeds[v.name];
        if (!t) throw lcError('LC036', [v.name, 'no value was given for this graph input']);
        if (t.shape.join() !== (v.type.shape as number[]).join()) throw lcError('LC032', [`input '${v.name}' expects shape [${v.type.shape}], got [${t.shape}]`]);
        host.set(v.name, t);
        if (of.has(v.name)) device.queue.writeBuffer(bufferOf(v), 0, Float32Array.from(t.data as ArrayLike<number>));
      }
      let enc: GPUCommandEncoder | null = null, pass: GPUComputePassEncoder | null = null;
      const flush = () => { if (enc) { pass!.end(); device.queue.submit([enc.finish()]); enc = null; pass = null; } };
      for (const s of steps) {
        if ('gpu' in s) {
          if (!enc) { enc = device.createCommandEncoder(); pass = enc.beginComputePass(); }
          for (const d of s.gpu) { pass!.setPipeline(d.pipeline); pass!.setBindGroup(0, d.group); pass!.dispatchWorkgroups(d.wg[0]!, d.wg[1] ?? 1, d.wg[2] ?? 1); }
          continue;
        }
        flush();
        const n = s.host;
        const need = n.inputs.filter((v): v is Value => !!v && !v.const && !host.has(v.name));
        const got = await readBack(need);
        need.forEach((v, i) => host.set(v.name, toDtype(n, n.inputs.indexOf(v), got[i]!, v.type.shape as number[])));
        const outs = evalHost(n, n.inputs.map((v) => (v ? v.const ?? host.get(v.name)! : null)), training, random);
        n.outputs.forEach((o, i) => {
          const t = outs[i];
          if (!t) return;
          host.set(o.name, t);
          if (of.has(o.name)) device.queue.writeBuffer(bufferOf(o), 0, Float32Array.from(t.data as ArrayLike<number>));
        });
      }
      flush();
      const onDevice = graph.outputs.filter((v) => !v.const && !host.has(v.name));
      const data = await readBack(onDevice);
      const result: Record<string, Tensor> = {};
      for (const v of graph.outputs) {
        const k = onDevice.indexOf(v);
        const shape = v.type.shape as number[];
        result[v.name] = v.const ?? (k < 0 ? host.get(v.name)! : v.type.dtype === 'float32' ? new Tensor('float32', shape, data[k]!) : Tensor.fromArray(v.type.dtype, shape, data[k]!));
      }
      return result;
    },
    async dispose() { for (const b of [...buffers, ...weights.values(), ...scratch]) b.destroy(); },
  };
}
