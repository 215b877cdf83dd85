// The 'wgsl' backend. Specialization (symbolic input dims per input shape, small int64 inputs by value when
// shapes depend on them) and lowering are the shared compile path's (../compile.ts); this module publishes
// the capabilities the caller lowers for and builds the executor (executor.ts) for a lowered, static graph on
// a WebGPU device.
import type { Backend, BackendOptions, CompiledModel } from '../backend.ts';
import type { Graph } from '../../src/ir/graph.ts';
import type { BackendCapabilities } from '../../src/ops/backend-capabilities.ts';
import { compileGraph } from '../compile.ts';
import { WGSL_FUSION } from './fusion.ts';
import { openDevice, type GpuContext } from './device.ts';
import { buildExecutor, type ExecutorOptions } from './executor.ts';
import { emitNode } from './emit-node.ts';
import { dropoutStream } from '../../src/random.ts';

export { emitNode };
export { WGSL_FUSION };

/** What fuses into one kernel (./fusion.ts: every base and operand kind); no elementwise chains (their
 *  bodies are JS). */
export const WGSL_CAPABILITIES: BackendCapabilities = {
  kernels: true,
  fusion: WGSL_FUSION,
  elementwiseChains: null,
  attention: true,
};

export interface WgslOptions extends BackendOptions, ExecutorOptions {
  /** A GPU object (navigator.gpu, or npm webgpu's create()); default: navigator.gpu or Dawn. */
  gpu?: GPU;
  /** An open device to build on (many models, one device: the differential campaign); the caller owns it,
   *  dispose leaves it open. Default: a device of its own per compiled model. */
  device?: GpuContext;
}

export async function compileWgsl(graph: Graph, opts: WgslOptions = {}): Promise<CompiledModel> {
  return compileGraph(graph, opts, buildOnDevice);
}

async function buildOnDevice(g: Graph, opts: WgslOptions): Promise<CompiledModel> {
  const own = !opts.device;
  const { device, adapterName, cpu } = opts.device ?? await openDevice(opts.gpu);
  try {
    const m = await buildExecutor(g, device, adapterName, opts, cpu);
    return { info: m.info, run: (f) => m.run(f), async dispose() { await m.dispose(); if (own) device.destroy(); } };
  } catch (e) { if (own) device.destroy(); throw e; }
}

const wgsl: Backend = { name: 'wgsl', capabilities: WGSL_CAPABILITIES, compile: (graph, opts) => compileWgsl(graph, opts) };
export default wgsl;
