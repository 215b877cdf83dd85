// Typed helpers for emitting WGSL (bindings, main entry with bounds guard) and compiling it with errors
// surfaced as LayercErrors naming the WGSL line and the node that produced it.
import { lcError } from '../../src/diagnostics.ts';

export const WORKGROUP = 64;

export interface Binding { name: string; access: 'read' | 'read_write'; type?: string }

export function declareBindings(bindings: readonly Binding[]): string {
  return bindings.map((b, i) => `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: array<${b.type ?? 'f32'}>;`).join('\n');
}

/** Entry point over a flat index `gid` with the bounds guard every kernel needs (dispatch rounds up).
 *  It also defines `rt0`, a zero the shader compiler cannot see through (from num_workgroups): loops bounded
 *  by `n + rt0` keep their baked trip count but are not fully unrolled, which cuts pipeline compilation on
 *  lavapipe/LLVM from ~0.5 s to ~50 ms per kernel (the test suites compile hundreds of kernels).
 *  `total` may be a WGSL expression (e.g. `arrayLength(&y)`) so one pipeline serves every size. */
export function mainStart(total: number | string): string {
  return `@compute @workgroup_size(${WORKGROUP})\nfn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {\n` +
    `  let gid = id.x + id.y * nw.x * ${WORKGROUP}u; let rt0 = min(nw.z, 1u) - 1u;\n  if (gid >= ${typeof total === 'number' ? `${total}u` : total}) { return; }\n`;
}

/** Workgroup counts for `total` threads, folded into y when x would pass the 65535 limit. */
export function dispatchSize(total: number): [number, number] {
  const groups = Math.max(1, Math.ceil(total / WORKGROUP));
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}

export interface ShaderOrigin { node: string; op: string }

/** Compiles WGSL; on an error throws LC081 with the message, the offending line and the node/op. */
export async function compileShader(device: GPUDevice, code: string, origin: ShaderOrigin): Promise<GPUComputePipeline> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const info = await module.getCompilationInfo();
  const errs = info.messages.filter((m) => m.type === 'error');
  if (errs.length > 0) {
    await device.popErrorScope();
    const lines = code.split('\n');
    const m = errs[0]!;
    throw lcError('LC081', [origin.node, origin.op, `${m.lineNum}:${m.linePos}: ${m.message}`], {
      node: origin.node, op: origin.op, notes: [`${m.lineNum} | ${lines[m.lineNum - 1] ?? ''}`],
    });
  }
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const err = await device.popErrorScope();
  if (err) throw lcError('LC081', [origin.node, origin.op, err.message], { node: origin.node, op: origin.op });
  return pipeline;
}

/** Row-major strides of a shape. */
export function stridesFor(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** WGSL statements decoding flat index `flat` of `shape` into `let ${prefix}${k} = ...;` coordinates. */
export function coords(flat: string, shape: readonly number[], prefix: string): string {
  const st = stridesFor(shape);
  return shape.map((d, k) => `  let ${prefix}${k} = (${flat} / ${st[k]}u) % ${d}u;`).join('\n');
}

/** Index expression into an operand of shape `inShape` broadcast (numpy rules) to `out`, from flat output index `flat`. */
export function broadcastIndex(flat: string, out: readonly number[], inShape: readonly number[]): string {
  const os = stridesFor(out), r = out.length - inShape.length;
  const is = stridesFor(inShape);
  const terms = out.map((d, k) => {
    const j = k - r;
    if (j < 0 || inShape[j] === 1) return '';
    return `(((${flat}) / ${os[k]}u) % ${d}u) * ${is[j]}u`;
  }).filter(Boolean);
  return terms.length ? terms.join(' + ') : '0u';
}
