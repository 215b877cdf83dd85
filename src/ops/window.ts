// Sliding-window geometry shared by Conv, ConvTranspose and the pools (ONNX Conv/Pool spec text).
// Along each spatial axis a window of `kernel` taps, `dilation` apart, starts every `stride` positions at
// input coordinate o*stride - padBegin; tap k reads coordinate o*stride - padBegin + k*dilation.
//   explicit pads: out = floor((in + padBegin + padEnd - ((kernel-1)*dilation + 1)) / stride) + 1
//                  (ceil instead of floor with ceil_mode, dropping a last window that starts in the end pad)
//   SAME_UPPER/LOWER: out = ceil(in / stride), total pad = max(0, (out-1)*stride + extent - in), the odd
//                  extra cell goes to the end (UPPER) or the beginning (LOWER)
//   VALID: no pads.
// `windowTable` turns the geometry into one index table per call, so the inner loops of the reference
// kernels are plain array reads with no per-element index arithmetic or allocation.
import type { Dim } from '../ir/graph.ts';
import type { InferContext } from '../ir/registry.ts';
import { checkShape } from '../limits.ts';

export const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;
export type AutoPad = (typeof AUTO_PADS)[number];

type Fail = Pick<InferContext, 'fail'>;

/** Window attributes of a node, checked and filled with their per-axis defaults. */
export interface WindowAttrs {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Explicit pads [begin..., end...] (zeros when absent); only used when autoPad is NOTSET. */
  pads: number[];
  autoPad: AutoPad;
  ceilMode: boolean;
}

/** Reads strides/dilations/pads/auto_pad/ceil_mode for `n` spatial axes; `kernel` comes from the caller. */
export function readWindowAttrs(fail: Fail, op: string, attrs: Record<string, unknown>, kernel: number[]): WindowAttrs {
  const n = kernel.length;
  const list = (name: string, len: number, dflt: number, min: number): number[] => {
    const v = attrs[name] as number[] | undefined;
    if (v === undefined || v.length === 0) return new Array<number>(len).fill(dflt);
    if (v.length !== len) fail.fail('LC030', [name, `${op} with ${n} spatial axes needs ${len} values, got [${v.join(', ')}]`]);
    if (v.some((x) => !Number.isInteger(x) || x < min)) fail.fail('LC030', [name, `${op} ${name} must be integers >= ${min}, got [${v.join(', ')}]`]);
    return v;
  };
  if (kernel.some((k) => !Number.isInteger(k) || k < 1)) fail.fail('LC030', ['kernel_shape', `${op} kernel sizes must be >= 1, got [${kernel.join(', ')}]`]);
  const autoPad = (attrs.auto_pad as string | undefined) ?? 'NOTSET';
  if (!(AUTO_PADS as readonly string[]).includes(autoPad)) {
    fail.fail('LC030', ['auto_pad', `${op} auto_pad must be one of ${AUTO_PADS.join(', ')}, got '${autoPad}'`]);
  }
  return {
    kernel,
    strides: list('strides', n, 1, 1),
    dilations: list('dilations', n, 1, 1),
    pads: list('pads', 2 * n, 0, 0),
    autoPad: autoPad as AutoPad,
    ceilMode: ((attrs.ceil_mode as number | undefined) ?? 0) !== 0,
  };
}

/** Extent of a dilated kernel: the span of input coordinates one window covers. */
export const extent = (k: number, d: number) => (k - 1) * d + 1;

/** [padBegin, padEnd, out] along one axis with a known input size. */
export function axisGeometry(w: WindowAttrs, axis: number, size: number): [number, number, number] {
  const k = extent(w.kernel[axis], w.dilations[axis]), s = w.strides[axis];
  const n = w.kernel.length;
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
    const out = Math.ceil(size / s);
    const total = Math.max(0, (out - 1) * s + k - size);
    const small = Math.floor(total / 2);
    return w.autoPad === 'SAME_UPPER' ? [small, total - small, out] : [total - small, small, out];
  }
  const [pb, pe] = w.autoPad === 'VALID' ? [0, 0] : [w.pads[axis], w.pads[axis + n]];
  const span = size + pb + pe - k;
  if (span < 0) return [pb, pe, 0];
  if (!w.ceilMode || w.autoPad === 'VALID') return [pb, pe, Math.floor(span / s) + 1];
  let out = Math.ceil(span / s) + 1;
  // A window must start inside the input or the begin pad (the rule ONNX, PyTorch and ORT share).
  if ((out - 1) * s >= size + pb) out--;
  return [pb, pe, out];
}

/**
 * Output spatial dims for possibly symbolic input dims. A symbolic axis keeps its symbol when the window
 * cannot change its size (kernel extent 1, stride 1, no pads, or SAME with stride 1); otherwise it gets a
 * fresh symbol. `fail`s when a window does not fit into the padded input.
 */
export function windowOutDims(ctx: InferContext, op: string, w: WindowAttrs, spatial: readonly Dim[]): Dim[] {
  const n = w.kernel.length;
  return spatial.map((d, i) => {
    if (typeof d === 'number') {
      const [pb, pe, out] = axisGeometry(w, i, d);
      if (out < 1) {
        ctx.fail('LC032', [`${op}: kernel extent ${extent(w.kernel[i], w.dilations[i])} along spatial axis ${i} is larger than the padded input ${d} + ${pb} + ${pe}`]);
      }
      return out;
    }
    const same = w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER';
    const noPads = w.autoPad === 'VALID' || (w.pads[i] === 0 && w.pads[i + n] === 0);
    if (w.strides[i] === 1 && (same || (noPads && extent(w.kernel[i], w.dilations[i]) === 1))) return d;
    return ctx.freshDim(op.toLowerCase());
  });
}

/**
 * For every (tap, position) pair of a window walk: where the tap lands in the indexed grid. The walk
 * iterates `from` positions (output positions for Conv/pools, input positions for ConvTranspose, which
 * scatters) and computes `to` = from*stride - padBegin + tap*dilation per axis. Entry [tap * F + f]
 * (F = number of from positions, taps in row-major kernel order) holds the flat index into `toShape`,
 * -1 when the tap lands in the padding, -2 when it lands beyond the end padding (ceil_mode windows).
 */
export function windowTable(fromShape: readonly number[], toShape: readonly number[], kernel: readonly number[],
  strides: readonly number[], dilations: readonly number[], padBegin: readonly number[], padEnd: readonly number[]): Int32Array {
  const n = kernel.length;
  const F = fromShape.reduce((a, b) => a * b, 1);
  const K = kernel.reduce((a, b) => a * b, 1);
  checkShape([K, F], 'the window table (taps x output positions)'); // before allocating it (an absurd kernel_shape)
  const table = new Int32Array(K * F);
  // Per axis, per (tap, position): the coordinate code, so the N-D table is a product of 1-D tables.
  const axisCodes = Array.from({ length: n }, (_, a) => {
    const codes = new Int32Array(kernel[a] * fromShape[a]);
    for (let k = 0; k < kernel[a]; k++) {
      for (let f = 0; f < fromShape[a]; f++) {
        const t = f * strides[a] - padBegin[a] + k * dilations[a];
        codes[k * fromShape[a] + f] = t < 0 ? -1 : t < toShape[a] ? t : t < toShape[a] + padEnd[a] ? -1 : -2;
      }
    }
    return codes;
  });
  const tap = new Array<number>(n).fill(0);
  const pos = new Array<number>(n).fill(0);
  for (let kk = 0; kk < K; kk++) {
    pos.fill(0);
    for (let f = 0; f < F; f++) {
      let flat = 0, code = 0;
      for (let a = 0; a < n; a++) {
        const c = axisCodes[a][tap[a] * fromShape[a] + pos[a]];
        if (c < 0) { code = code === -2 ? -2 : c; continue; }
        flat = flat * toShape[a] + c;
      }
      table[kk * F + f] = code < 0 ? code : flat;
      for (let a = n - 1; a >= 0; a--) { if (++pos[a] < fromShape[a]) break; pos[a] = 0; }
    }
    for (let a = n - 1; a >= 0; a--) { if (++tap[a] < kernel[a]) break; tap[a] = 0; }
  }
  return table;
}

/**
 * The same walk grouped into rows along the last spatial axis, for gather loops that stay dense: output
 * row r (of R = product of the other output axes, each W = out[last] long) under tap kk reads input
 * elements start[kk*R + r] + o*stride for o in [lo[kk], hi[kk]), or nothing when valid[kk*R + r] is 0
 * (the tap lands in the padding along another axis). Only the row bounds depend on the padding.
 */
export interface WindowRows {
  R: number; W: number; stride: number;
  start: Int32Array; valid: Uint8Array; lo: Int32Array; hi: Int32Array;
}

export function windowRows(outShape: readonly number[], inShape: readonly number[], kernel: readonly number[],
  strides: readonly number[], dilations: readonly number[], padBegin: readonly number[]): WindowRows {
  const n = kernel.length, last = n - 1;
  const W = outShape[last], R = outShape.slice(0, last).reduce((a, b) => a * b, 1);
  const K = kernel.reduce((a, b) => a * b, 1);
  const s = strides[last], inW = inShape[last];
  const start = new Int32Array(K * R), valid = new Uint8Array(K * R), lo = new Int32Array(K), hi = new Int32Array(K);
  const tap = new Array<number>(n).fill(0);
  const pos = new Array<number>(Math.max(0, last)).fill(0);
  for (let kk = 0; kk < K; kk++) {
    // Along the last axis, o reads o*s + shift; keep 0 <= o*s + shift < inW.
    const shift = tap[last] * dilations[last] - padBegin[last];
    lo[kk] = Math.min(W, Math.max(0, Math.ceil(-shift / s)));
    hi[kk] = Math.max(lo[kk], Math.min(W, Math.floor((inW - 1 - shift) / s) + 1));
    pos.fill(0);
    for (let r = 0; r < R; r++) {
      let off = 0, ok = 1;
      for (let a = 0; a < last; a++) {
        const t = pos[a] * strides[a] - padBegin[a] + tap[a] * dilations[a];
        if (t < 0 || t >= inShape[a]) { ok = 0; break; }
        off = off * inShape[a] + t;
      }
      valid[kk * R + r] = ok;
      start[kk * R + r] = off * inW + shift;
      for (let a = last - 1; a >= 0; a--) { if (++pos[a] < outShape[a]) break; pos[a] = 0; }
    }
    for (let a = n - 1; a >= 0; a--) { if (++tap[a] < kernel[a]) break; tap[a] = 0; }
  }
  return { R, W, stride: s, start, valid, lo, hi };
}
