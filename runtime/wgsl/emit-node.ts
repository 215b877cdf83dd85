// Node -> WGSL kernel: picks the kernel emitter for the op, reads its (static) shapes and attributes, and
// says which values bind in which order. Ops without a kernel are LC075, before any GPU work.
import type { Node, Value } from '../../src/ir/graph.ts';
import { lcError } from '../../src/diagnostics.ts';
import { fusedAttrs, type EpilogueStep } from '../../src/ops/fused.ts';
import { declareBindings, dispatchSize, mainStart } from './shader.ts';
import { canEmitElementwise, emitBinary, emitUnary } from './kernels/elementwise.ts';
import { emitConv } from './kernels/conv.ts';
import { emitMatMul } from './kernels/matmul.ts';
import { emitPool, emitRowMean } from './kernels/pool.ts';
import { emitSoftmax } from './kernels/softmax.ts';
import { emitBatchNormInference } from './kernels/batchnorm.ts';

export interface Kernel { code: string; wg: [number, number]; bind: Value[] }

const COPY_OPS = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Dropout']);

function shapeOf(n: Node, v: Value | null | undefined): number[] {
  const s = v?.type.shape;
  if (!s || s.some((d) => typeof d !== 'number')) throw lcError('LC075', ['wgsl', `${n.name} (${n.op})`, 'shapes must be static'], { node: n.name, op: n.op });
  return s as number[];
}
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const ints = (v: unknown, d: number[]) => (Array.isArray(v) ? (v as number[]) : d);

function emitCopy(total: number): { code: string; wg: [number, number] } {
  return { code: `${declareBindings([{ name: 'x', access: 'read' }, { name: 'y', access: 'read_write' }])}\n${mainStart(total)}  y[gid] = x[gid];\n}\n`, wg: dispatchSize(total) };
}

/** Epilogue operands: per output channel when the operand has one non-1 dim at the channel axis, else the full output. */
function operandKinds(n: Node, first: number, out: number[], chanAxis: number): ('chan' | 'col' | 'full')[] {
  return n.inputs.slice(first).map((v) => {
    const s = shapeOf(n, v);
    if (prod(s) === prod(out)) return 'full';
    if (prod(s) === out[chanAxis] && (s.length <= 1 || s[s.length - out.length + chanAxis] === out[chanAxis])) return chanAxis === out.length - 1 ? 'col' : 'chan';
    throw lcError('LC075', ['wgsl', `${n.name} (${n.op})`, `epilogue operand of shape [${s}] is not per-channel or full`], { node: n.name, op: n.op });
  });
}

function convKernel(n: Node, attrs: Record<string, unknown>, baseInputs: number, epilogue: EpilogueStep[]): Kernel {
  const x = shapeOf(n, n.inputs[0]), w = shapeOf(n, n.inputs[1]), y = shapeOf(n, n.outputs[0]);
  if (x.length !== 4) throw lcError('LC075', ['wgsl', `${n.name} (${n.op})`, 'only 2-D convolution']);
  const steps = [...epilogue];
  // A Conv bias (input 2) is the first epilogue step.
  if (baseInputs === 3 && n.inputs[2]) steps.unshift({ kind: 'add', input: 2 });
  const operands = operandKinds(n, 2, y, 1).map((per) => ({ per: per === 'full' ? 'full' as const : 'chan' as const }));
  const pads = ints(attrs.pads, [0, 0, 0, 0]);
  const k = emitConv({ x: x as never, w: w as never, y: y as never, strides: ints(attrs.strides, [1, 1]) as never,
    dilations: ints(attrs.dilations, [1, 1]) as never, pads: [pads[0]!, pads[1]!, pads[2]!, pads[3]!], group: Number(attrs.group ?? 1),
    operands, epilogue: steps });
  return { ...k, bind: [...n.args, ...n.outputs] };
}

function matmulKernel(n: Node, attrs: Record<string, unknown>, op: string, baseInputs: number, epilogue: EpilogueStep[]): Kernel {
  const a = shapeOf(n, n.inputs[0]), b = shapeOf(n, n.inputs[1]), y = shapeOf(n, n.outputs[0]);
  if (a.length !== 2 || b.length !== 2 || (op === 'Gemm' && ((attrs.alpha ?? 1) !== 1 || (attrs.beta ?? 1) !== 1))) {
    throw lcError('LC075', ['wgsl', `${n.name} (${n.op})`, 'only 2-D MatMul / Gemm with alpha = beta = 1 so far'], { node: n.name, op: n.op });
  }
  const steps = [...epilogue];
  if (op === 'Gemm' && baseInputs === 3 && n.inputs[2]) steps.unshift({ kind: 'add', input: 2 });
  const operands = operandKinds(n, 2, y, 1).map((per) => ({ per: per === 'full' ? 'full' as const : 'col' as const }));
  const transA = op === 'Gemm' && !!attrs.transA, transB = op === 'Gemm' && !!attrs.transB;
  const k = emitMatMul({ M: transA ? a[1]! : a[0]!, K: transA ? a[0]! : a[1]!, N: transB ? b[0]! : b[1]!, transA, transB, operands, epilogue: steps });
  return { ...k, bind: [...n.args, ...n.outputs] };
}

export function emitNode(n: Node): Kernel {
  const out = n.outputs[0];
  const bindIO = (k: { code: string; wg: [number, number] }, inputs: (Value | null | undefined)[]): Kernel =>
    ({ ...k, bind: [...inputs.filter((v): v is Value => !!v), ...n.outputs] });
  if (canEmitElementwise(n.op)) {
    const y = shapeOf(n, out);
    if (n.inputs.length === 2) return bindIO(emitBinary(n.op, shapeOf(n, n.inputs[0]), shapeOf(n, n.inputs[1]), y), n.inputs);
    return bindIO(emitUnary(n.op, n.attrs, prod(y)), n.inputs);
  }
  if (COPY_OPS.has(n.op)) return { ...emitCopy(prod(shapeOf(n, out))), bind: [n.inputs[0]!, out!] };
  const attrs = n.attrs as Record<string, unknown>;
  switch (n.op) {
    case 'Conv': return convKernel(n, attrs, 3, []);
    case 'MatMul': case 'Gemm': return matmulKernel(n, attrs, n.op, 3, []);
    case 'Fused': {
      const f = fusedAttrs(attrs);
      if (f.base === 'Conv') return convKernel(n, f.base_attrs, f.base_inputs, f.epilogue);
      if (f.base === 'MatMul' || f.base === 'Gemm') return matmulKernel(n, f.base_attrs, f.base, f.base_inputs, f.epilogue);
      break;
    }
    case 'MaxPool': case 'AveragePool': {
      const x = shapeOf(n, n.inputs[0]), y = shapeOf(n, out);
      const p = ints(attrs.pads, [0, 0, 0, 0]);
      if (x.length === 4 && n.outputs.length === 1 && !attrs.ceil_mode) {
        const kernel = ints(attrs.kernel_shape, [1, 1]);
        return bindIO(emitPool({ kind: n.op === 'MaxPool' ? 'max' : 'avg', x: x as never, y: y as never, kernel: kernel as never,
          strides: ints(attrs.strides, [1, 1]) as never, dilations: ints(attrs.dilations, [1, 1]) as never,
          pads: [p[0]!, p[1]!, p[2]!, p[3]!], countIncludePad: !!attrs.count_include_pad }), [n.inputs[0]]);
      }
      break;
    }
    case 'GlobalAveragePool': {
      const x = shapeOf(n, n.inputs[0]);
      return bindIO(emitRowMean(x[0]! * x[1]!, prod(x.slice(2))), [n.inputs[0]]);
    }
    case 'Softmax': {
      const x = shapeOf(n, n.inputs[0]);
      const axis = Number(attrs.axis ?? -1);
      if (axis === -1 || axis === x.length - 1) return bindIO(emitSoftmax(prod(x.slice(0, -1)), x[x.length - 1]!), [n.inputs[0]]);
      break;
    }
    case 'BatchNormalization': {
      const x = shapeOf(n, n.inputs[0]);
      if (!attrs.training_mode && n.outputs.length === 1) return bindIO(emitBatchNormInference(prod(x), x[1]!, prod(x.slice(2)), Number(attrs.epsilon ?? 1e-5)), n.inputs);
      break;
    }
  }
  throw lcError('LC075', ['wgsl', `${n.name} (${n.op})`, 'no WGSL kernel for this op/attribute combination yet'], { node: n.name, op: n.op });
}
