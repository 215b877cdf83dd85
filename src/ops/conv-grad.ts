// Gradient ops of 2-D convolution and pooling (NCHW), reference semantics by direct loops. Each backward op
// re-walks the forward op's index pattern and scatters instead of gathering:
//   ConvGradInput(dY, W):  dX[n, c, ih, iw] += dY[n, m, oh, ow] * W[m, c', kh, kw]
//   ConvGradWeight(dY, X): dW[m, c', kh, kw] += dY[n, m, oh, ow] * X[n, c, ih, iw]
//   with ih = oh * stride - pad + kh * dilation, c = group(m) * C/group + c'.
//   MaxPoolGrad(dY, X): dY goes to the first maximum of each window (as the forward picks it).
//   AveragePoolGrad(dY, X): dY / window size (count_include_pad decides the size) to every cell of the window.
// Attributes are the forward op's, explicit (pads [top, left, bottom, right]); `x_shape` gives dX's shape.
import { defineOp } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';

interface Geom { strides: number[]; pads: number[]; dilations: number[]; group: number }

function geom(attrs: Record<string, unknown>): Geom {
  return {
    strides: (attrs.strides as number[]) ?? [1, 1],
    pads: (attrs.pads as number[]) ?? [0, 0, 0, 0],
    dilations: (attrs.dilations as number[]) ?? [1, 1],
    group: (attrs.group as number) ?? 1,
  };
}

/** Visits every (x index, w index, y index) triple of a grouped 2-D convolution. */
function convWalk(xs: readonly number[], ws: readonly number[], ys: readonly number[], g: Geom, f: (xi: number, wi: number, yi: number) => void): void {
  const [N, C, H, W] = xs, [M, Cg, KH, KW] = ws, [, , OH, OW] = ys;
  const Mg = M / g.group;
  for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) {
    const c0 = Math.floor(m / Mg) * Cg;
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      const yi = ((n * M + m) * OH + oh) * OW + ow;
      for (let cc = 0; cc < Cg; cc++) for (let kh = 0; kh < KH; kh++) {
        const ih = oh * g.strides[0] - g.pads[0] + kh * g.dilations[0];
        if (ih < 0 || ih >= H) continue;
        for (let kw = 0; kw < KW; kw++) {
          const iw = ow * g.strides[1] - g.pads[1] + kw * g.dilations[1];
          if (iw < 0 || iw >= W) continue;
          f(((n * C + c0 + cc) * H + ih) * W + iw, ((m * Cg + cc) * KH + kh) * KW + kw, yi);
        }
      }
    }
  }
}

const CONV_ATTRS = {
  strides: { type: 'ints' as const }, pads: { type: 'ints' as const }, dilations: { type: 'ints' as const },
  group: { type: 'int' as const, default: 1 }, x_shape: { type: 'ints' as const, required: true },
};

defineOp({
  name: 'ConvGradInput', domain: 'ai.layerc', summary: 'dX of Conv from dY and W', attrs: CONV_ATTRS,
  inputs: [2, 2], outputs: [1, 1],
  inferType(ctx) { return [{ dtype: ctx.inputs[0]!.dtype, shape: [...(ctx.attrs.x_shape as number[])] }]; },
  evalRef([dy, w], { attrs }) {
    const xs = attrs.x_shape as number[];
    const acc = new Float64Array(xs.reduce((a, b) => a * b, 1));
    convWalk(xs, w!.shape, dy!.shape, geom(attrs), (xi, wi, yi) => { acc[xi] += dy!.data[yi] * w!.data[wi]; });
    return [Tensor.fromArray(dy!.dtype, xs, acc)];
  },
});

defineOp({
  name: 'ConvGradWeight', domain: 'ai.layerc', summary: 'dW of Conv from dY and X (w_shape gives dW shape)',
  attrs: { ...CONV_ATTRS, x_shape: { type: 'ints', required: false }, w_shape: { type: 'ints', required: true } },
  inputs: [2, 2], outputs: [1, 1],
  inferType(ctx) { return [{ dtype: ctx.inputs[0]!.dtype, shape: [...(ctx.attrs.w_shape as number[])] }]; },
  evalRef([dy, x], { attrs }) {
    const ws = attrs.w_shape as number[];
    const acc = new Float64Array(ws.reduce((a, b) => a * b, 1));
    convWalk(x!.shape, ws, dy!.shape, geom(attrs), (xi, wi, yi) => { acc[wi] += dy!.data[yi] * x!.data[xi]; });
    return [Tensor.fromArray(dy!.dtype, ws, acc)];
  },
});

const POOL_ATTRS = {
  kernel_shape: { type: 'ints' as const, required: true }, strides: { type: 'ints' as const }, pads: { type: 'ints' as const },
  dilations: { type: 'ints' as const }, count_include_pad: { type: 'int' as const, default: 0 },
};

/** Visits each pooling window: yi and the in-bounds x indices (padding cells are counted in `padded`). */
function poolWalk(xs: readonly number[], ys: readonly number[], attrs: Record<string, unknown>, f: (yi: number, cells: number[], padded: number) => void): void {
  const [N, C, H, W] = xs, [, , OH, OW] = ys;
  const [KH, KW] = attrs.kernel_shape as number[];
  const g = geom(attrs);
  for (let nc = 0; nc < N * C; nc++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const cells: number[] = [];
    let padded = 0;
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * g.strides[0] - g.pads[0] + kh * g.dilations[0], iw = ow * g.strides[1] - g.pads[1] + kw * g.dilations[1];
      // Cells in the explicit padding count for count_include_pad; cells past it (ceil_mode) never do.
      const inPad = ih >= -g.pads[0] && ih < H + g.pads[2] && iw >= -g.pads[1] && iw < W + g.pads[3];
      if (ih >= 0 && ih < H && iw >= 0 && iw < W) cells.push((nc * H + ih) * W + iw);
      else if (inPad) padded++;
    }
    f((nc * OH + oh) * OW + ow, cells, padded);
  }
}

defineOp({
  name: 'MaxPoolGrad', domain: 'ai.layerc', summary: 'dX of MaxPool: dY routed to the first maximum of each window',
  attrs: POOL_ATTRS, inputs: [2, 2], outputs: [1, 1],
  inferType(ctx) { return [ctx.inputs[1]!]; },
  evalRef([dy, x], { attrs }) {
    const acc = new Float64Array(x!.size);
    poolWalk(x!.shape, dy!.shape, attrs, (yi, cells) => {
      let best = -1;
      for (const c of cells) if (best < 0 || x!.data[c] > x!.data[best]) best = c;
      if (best >= 0) acc[best] += dy!.data[yi];
    });
    return [Tensor.fromArray(dy!.dtype, x!.shape, acc)];
  },
});

defineOp({
  name: 'AveragePoolGrad', domain: 'ai.layerc', summary: 'dX of AveragePool: dY / window size to every window cell',
  attrs: POOL_ATTRS, inputs: [2, 2], outputs: [1, 1],
  inferType(ctx) { return [ctx.inputs[1]!]; },
  evalRef([dy, x], { attrs }) {
    const acc = new Float64Array(x!.size);
    poolWalk(x!.shape, dy!.shape, attrs, (yi, cells, padded) => {
      const size = cells.length + (attrs.count_include_pad ? padded : 0);
      for (const c of cells) acc[c] += dy!.data[yi] / size;
    });
    return [Tensor.fromArray(dy!.dtype, x!.shape, acc)];
  },
});
