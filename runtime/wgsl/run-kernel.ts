// Runs one generated kernel on given inputs and reads its single output back: for kernel unit tests and
// for probing a kernel outside a graph.
import { compileShader, type ShaderOrigin } from './shader.ts';
import { settle } from './gpu-wait.ts';

export async function runKernel(device: GPUDevice, code: string, wg: readonly number[], inputs: Float32Array[], outLength: number,
  origin: ShaderOrigin = { node: 'kernel', op: 'kernel' }): Promise<Float32Array> {
  const pipeline = await compileShader(device, code, origin);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const bufs = inputs.map((d) => {
    const b = device.createBuffer({ size: Math.max(4, d.byteLength), usage });
    device.queue.writeBuffer(b, 0, d);
    return b;
  });
  const out = device.createBuffer({ size: Math.max(4, outLength * 4), usage });
  const rb = device.createBuffer({ size: out.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const group = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [...bufs, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline); pass.setBindGroup(0, group); pass.dispatchWorkgroups(wg[0]!, wg[1] ?? 1, wg[2] ?? 1);
  pass.end();
  enc.copyBufferToBuffer(out, 0, rb, 0, out.size);
  device.queue.submit([enc.finish()]);
  await settle(rb.mapAsync(GPUMapMode.READ));
  const result = new Float32Array(rb.getMappedRange().slice(0, outLength * 4));
  for (const b of [...bufs, out, rb]) b.destroy();
  return result;
}
