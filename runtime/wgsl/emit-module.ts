// `layerc compile --target wgsl`: the model as files that run without layerc on any WebGPU implementation:
//   model.mjs     ES module: load({ gpu? }) -> { adapter, run(feeds), dispose() }; reads its files with fetch
//                 (browser) or node:fs, relative to itself
//   runner.mjs    the runner (runtime/wgsl/runner.mjs, copied verbatim)
//   plan.json     buffers (from runtime/plan.ts), weights layout, steps (kernel file, workgroups, bindings), I/O
//   weights.bin   every weight and kernel table as f32, in plan order
//   kNNN.wgsl     one file per distinct kernel (GEMM-like kernels also get a direct form for CPU adapters)
// The emitted module has no host fallback: a node without a WGSL kernel is LC075 at compile time. The graph
// comes lowered by the caller (passes/pipelines.ts lowerInPlace with this backend's capabilities).
import { readFileSync } from 'node:fs';
import type { Graph, Value } from '../../src/ir/graph.ts';
import { isStatic } from '../../src/ir/graph.ts';
import { lcError } from '../../src/diagnostics.ts';
import { describePlan } from '../plan.ts';
import { assignBuffers, floats } from './buffers.ts';
import { emitNode, type BindRef, type Kernel } from './emit-node.ts';

export interface EmittedFile { name: string; data: Uint8Array | string }

type Ref = { buffer: number; bytes: number } | { weight: number } | { scratch: number };

export function emitModule(g: Graph): EmittedFile[] {
  const dyn = [...g.inputs, ...g.nodes.flatMap((n) => n.outputs)].find((v) => !isStatic(v.type.shape));
  if (dyn) throw lcError('LC075', ['wgsl', `compile of ${g.name}`, `value '${dyn.name}' has no static shape`]);
  const { of, sizes, plan } = assignBuffers(g, false);
  const views = new Set(plan.views);
  const shaders: string[] = [];
  const shaderFile = (code: string) => { let i = shaders.indexOf(code); if (i < 0) { i = shaders.length; shaders.push(code); } return `k${String(i).padStart(3, '0')}.wgsl`; };
  const blobs: Float32Array[] = [];
  const weightOf = new Map<string, number>();
  const weight = (name: string | null, data: ArrayLike<number>): number => {
    if (name && weightOf.has(name)) return weightOf.get(name)!;
    blobs.push(Float32Array.from(data));
    if (name) weightOf.set(name, blobs.length - 1);
    return blobs.length - 1;
  };
  const scratch: number[] = [];
  const scratchOf = new Map<string, number>();
  const steps: unknown[] = [];
  const ref = (r: BindRef): Ref => {
    if ('scratch' in r) {
      if (!scratchOf.has(r.scratch)) { scratchOf.set(r.scratch, scratch.length); scratch.push(r.floats * 4); }
      return { scratch: scratchOf.get(r.scratch)! };
    }
    if ('data' in r) return { weight: weight(null, r.data) };
    if (r.const) return { weight: weight(r.name, r.const.data as ArrayLike<number>) };
    return { buffer: of.get(r.name)!, bytes: floats(r) * 4 };
  };
  for (const n of g.nodes) {
    if (views.has(n.name)) continue;
    let gpu: Kernel[], cpu: Kernel[];
    try { gpu = emitNode(n, { tiled: true }); cpu = emitNode(n, { tiled: false }); } catch (e) {
      throw lcError('LC075', ['wgsl', `${n.name} (${n.op})`, `${(e as Error).message.split('\n')[0]}; the emitted module has no host fallback`], { node: n.name, op: n.op });
    }
    gpu.forEach((k, i) => {
      const c = cpu[i]!;
      steps.push({ node: n.name, op: n.op, shader: shaderFile(k.code), wg: k.wg, bind: k.bind.map(ref),
        ...(c.code !== k.code ? { cpuShader: shaderFile(c.code), cpuWg: c.wg } : {}) });
    });
  }
  const io = (v: Value) => {
    if (v.const || !of.has(v.name)) throw lcError('LC075', ['wgsl', `compile of ${g.name}`, `output '${v.name}' is a constant or unplanned`]);
    return { name: v.name, buffer: of.get(v.name)!, shape: v.type.shape as number[], dtype: v.type.dtype };
  };
  let offset = 0;
  const weights = blobs.map((b) => { const w = { offset, floats: b.length }; offset += b.length; return w; });
  const bin = new Float32Array(offset);
  blobs.forEach((b, i) => bin.set(b, weights[i]!.offset));
  const planJson = { model: g.name, memory: describePlan(plan), buffers: sizes, scratch, weights, shaders: shaders.map((_, i) => `k${String(i).padStart(3, '0')}.wgsl`),
    steps, inputs: g.inputs.filter((v) => !v.const).map(io), outputs: g.outputs.map(io) };
  return [
    ...shaders.map((code, i) => ({ name: `k${String(i).padStart(3, '0')}.wgsl`, data: code })),
    { name: 'weights.bin', data: new Uint8Array(bin.buffer) },
    { name: 'plan.json', data: JSON.stringify(planJson, null, 1) },
    { name: 'runner.mjs', data: readFileSync(new URL('./runner.mjs', import.meta.url), 'utf8') },
    { name: 'model.mjs', data: loaderSource(g, planJson.inputs, planJson.outputs, steps.length, shaders.length) },
  ];
}

function loaderSource(graph: Graph, inputs: { name: string; shape: number[] }[], outputs: { name: string; shape: number[] }[], steps: number, kernels: number): string {
  const sig = (vs: { name: string; shape: number[] }[]) => vs.map((v) => `'${v.name}' [${v.shape.join(', ')}]`).join(', ');
  return `// Generated by layerc compile --target wgsl from '${graph.source ?? graph.name}'. Do not edit.
// ${steps} dispatches, ${kernels} distinct kernels. Inputs: ${sig(inputs)}. Outputs: ${sig(outputs)}.
// Usage: const m = await load({ gpu }); const out = await m.run({ name: Float32Array }); await m.dispose();
// gpu: navigator.gpu in a browser; in Node, npm webgpu's create([]) (after Object.assign(globalThis, globals)).
import { createRunner } from './runner.mjs';

async function reader() {
  if (typeof process !== 'undefined' && process.versions?.node) {
    const { readFile } = await import('node:fs/promises');
    return { text: (f) => readFile(new URL(f, import.meta.url), 'utf8'), bytes: async (f) => { const b = await readFile(new URL(f, import.meta.url)); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); } };
  }
  const get = async (f) => { const r = await fetch(new URL(f, import.meta.url)); if (!r.ok) throw new Error(\`layerc: cannot fetch \${f}: \${r.status}\`); return r; };
  return { text: async (f) => (await get(f)).text(), bytes: async (f) => (await get(f)).arrayBuffer() };
}

export async function load(opts = {}) {
  const gpu = opts.gpu ?? globalThis.navigator?.gpu;
  if (!gpu) throw new Error('layerc: no GPU object (pass { gpu }: navigator.gpu, or npm webgpu create([]))');
  const r = await reader();
  const plan = JSON.parse(await r.text('plan.json'));
  const runner = await createRunner(gpu, plan, r.text, await r.bytes('weights.bin'));
  return { plan, ...runner };
}
`;
}
