// The standalone WebGPU runner of a compiled layerc model (`layerc compile --target wgsl`). Plain JavaScript
// with no imports: it is copied verbatim next to the emitted plan.json, weights.bin and .wgsl kernels, and
// works with any GPU object (navigator.gpu in a browser, npm `webgpu` in Node).
// plan.json: { buffers: [bytes], scratch: [bytes], weights: [{ offset, floats }] (f32 offsets into
// weights.bin), shaders: [file], steps: [{ node, op, shader, cpuShader?, wg, cpuWg?, bind: [ref] }],
// inputs/outputs: [{ name, buffer, shape, dtype }] }; a ref is { buffer, bytes } | { weight } | { scratch }.
// A run uploads the inputs, encodes every dispatch into one compute pass of one command buffer, and reads
// back only the outputs.

const CPU_ADAPTERS = /llvmpipe|lavapipe|swiftshader/i;

/**
 * @param {GPU} gpu
 * @param {any} plan parsed plan.json
 * @param {(name: string) => Promise<string>} readText shader source by file name
 * @param {ArrayBuffer} weights contents of weights.bin
 */
export async function createRunner(gpu, plan, readText, weights) {
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('layerc: no WebGPU adapter');
  const device = await adapter.requestDevice({
    requiredLimits: { maxStorageBuffersPerShaderStage: Math.min(10, adapter.limits.maxStorageBuffersPerShaderStage) },
  });
  const info = adapter.info ?? {};
  const adapterName = [...new Set([info.vendor, info.architecture, info.device, info.description].filter(Boolean))].join(' ') || 'unknown adapter';
  const cpu = adapter.isFallbackAdapter || CPU_ADAPTERS.test(`${adapterName} ${info.description ?? ''} ${info.architecture ?? ''}`);
  const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const make = (bytes) => device.createBuffer({ size: Math.max(4, bytes), usage: STORAGE });
  const buffers = plan.buffers.map(make);
  const scratch = plan.scratch.map(make);
  const all = new Float32Array(weights);
  const wbufs = plan.weights.map((w) => {
    const b = make(w.floats * 4);
    device.queue.writeBuffer(b, 0, all, w.offset, w.floats);
    return b;
  });
  const pipelines = new Map();
  const pipeline = async (file) => {
    let p = pipelines.get(file);
    if (!p) {
      const code = await readText(file);
      const module = device.createShaderModule({ code });
      const msgs = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
      if (msgs.length) throw new Error(`layerc: ${file}:${msgs[0].lineNum}:${msgs[0].linePos}: ${msgs[0].message}`);
      p = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      pipelines.set(file, p);
    }
    return p;
  };
  const steps = [];
  for (const s of plan.steps) {
    const p = await pipeline(cpu && s.cpuShader ? s.cpuShader : s.shader);
    const entries = s.bind.map((r, binding) => ({
      binding,
      resource: 'buffer' in r ? { buffer: buffers[r.buffer], offset: 0, size: Math.max(4, r.bytes) }
        : { buffer: 'weight' in r ? wbufs[r.weight] : scratch[r.scratch] },
    }));
    steps.push({ p, group: device.createBindGroup({ layout: p.getBindGroupLayout(0), entries }), wg: cpu && s.cpuWg ? s.cpuWg : s.wg });
  }
  const count = (shape) => shape.reduce((a, b) => a * b, 1);
  return {
    adapter: adapterName,
    // Dawn's Node binding tears the instance down when the GPU object is garbage-collected: keep it alive.
    gpu,
    /** @param {Record<string, ArrayLike<number>>} feeds @returns {Promise<Record<string, { shape: number[], data: Float32Array }>>} */
    async run(feeds) {
      for (const i of plan.inputs) {
        const d = feeds[i.name];
        if (!d) throw new Error(`layerc: missing input '${i.name}'`);
        if (d.length !== count(i.shape)) throw new Error(`layerc: input '${i.name}' needs ${count(i.shape)} values [${i.shape}], got ${d.length}`);
        device.queue.writeBuffer(buffers[i.buffer], 0, d instanceof Float32Array ? d : Float32Array.from(d));
      }
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (const s of steps) { pass.setPipeline(s.p); pass.setBindGroup(0, s.group); pass.dispatchWorkgroups(s.wg[0], s.wg[1] ?? 1, s.wg[2] ?? 1); }
      pass.end();
      const reads = plan.outputs.map((o) => {
        const bytes = Math.max(4, count(o.shape) * 4);
        const rb = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        enc.copyBufferToBuffer(buffers[o.buffer], 0, rb, 0, bytes);
        return rb;
      });
      device.queue.submit([enc.finish()]);
      const out = {};
      for (const [k, o] of plan.outputs.entries()) {
        await reads[k].mapAsync(GPUMapMode.READ);
        out[o.name] = { shape: o.shape, data: new Float32Array(reads[k].getMappedRange().slice(0, count(o.shape) * 4)) };
        reads[k].destroy();
      }
      return out;
    },
    async dispose() { for (const b of [...buffers, ...scratch, ...wbufs]) b.destroy(); device.destroy(); },
  };
}
