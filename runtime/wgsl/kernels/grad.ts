// Backward kernels of the training graph (src/ops semantics), each a gather so no two threads write the
// same element (WGSL has no float atomics):
//   ConvGradWeight: one thread per dW element sums dY * X over the batch and the output positions.
//   MaxPoolGrad: pass 1 records each window's first maximum (the forward pool kernel's Indices); pass 2 gives
//     each input element the dY of every window whose argmax it is.
//   AveragePoolGrad: pass 1 scales dY by 1/count per window; pass 2 sums the scaled dY of the windows
//     covering each input element (pads never receive gradient).
//   SoftmaxCrossEntropy(+Grad): one thread per row (labels arrive as f32: exact below 2^24).
//   ReluGrad: dY where Y > 0.
import { coords, declareBindings, dispatchSize, mainStart, type Binding } from '../shader.ts';

const r = (name: string): Binding => ({ name, access: 'read' });
const w = (name: string): Binding => ({ name, access: 'read_write' });
type Emitted = { code: string; wg: [number, number] };

export interface Conv2dGeom { strides: number[]; pads: number[]; dilations: number[]; group: number }

/** Bindings: dy [N, M, OH, OW], x [N, C, H, W], dw [M, Cg, KH, KW]. */
export function emitConvGradWeight(x: number[], wShape: number[], y: number[], g: Conv2dGeom): Emitted {
  const [N, C, H, W] = x as [number, number, number, number], [M, Cg, KH, KW] = wShape as [number, number, number, number];
  const [, , OH, OW] = y as [number, number, number, number];
  const total = M * Cg * KH * KW, Mg = M / g.group;
  const code = `${declareBindings([r('dy'), r('x'), w('dw')])}
${mainStart(total)}${coords('gid', wShape, 'k')}
  let m = k0; let c = (m / ${Mg}u) * ${Cg}u + k1;
  var acc = 0.0;
  for (var n = 0u; n < ${N}u + rt0; n++) {
    for (var oh = 0u; oh < ${OH}u + rt0; oh++) {
      let ih = i32(oh * ${g.strides[0]}u + k2 * ${g.dilations[0]}u) - ${g.pads[0]};
      if (ih < 0 || ih >= ${H}) { continue; }
      for (var ow = 0u; ow < ${OW}u + rt0; ow++) {
        let iw = i32(ow * ${g.strides[1]}u + k3 * ${g.dilations[1]}u) - ${g.pads[1]};
        if (iw < 0 || iw >= ${W}) { continue; }
        acc += dy[((n * ${M}u + m) * ${OH}u + oh) * ${OW}u + ow] * x[((n * ${C}u + c) * ${H}u + u32(ih)) * ${W}u + u32(iw)];
      }
    }
  }
  dw[gid] = acc;
}
`;
  return { code, wg: dispatchSize(total) };
}

/**
 * Pass 2 of the pool gradients: bindings dy-like (per window: the argmax for max, the scaled dY for avg),
 * [dy for max], dx. Each input element walks the windows that can cover it.
 */
export function emitPoolGradGather(kind: 'max' | 'avg', x: number[], y: number[], kernel: number[], g: Omit<Conv2dGeom, 'group'>): Emitted {
  const [, , H, W] = x as [number, number, number, number], [, , OH, OW] = y as [number, number, number, number];
  const total = x.reduce((a, b) => a * b, 1);
  const binds = kind === 'max' ? [r('arg'), r('dy'), w('dx')] : [r('g'), w('dx')];
  const take = kind === 'max' ? 'if (u32(arg[yi]) == gid) { acc += dy[yi]; }' : 'acc += g[yi];';
  const code = `${declareBindings(binds)}
${mainStart(total)}  let iw = i32(gid % ${W}u); let ih = i32((gid / ${W}u) % ${H}u); let nc = gid / ${H * W}u;
  var acc = 0.0;
  for (var kh = 0; kh < ${kernel[0]} + i32(rt0); kh++) {
    let th = ih + ${g.pads[0]} - kh * ${g.dilations[0]};
    if (th < 0 || th % ${g.strides[0]} != 0 || th / ${g.strides[0]} >= ${OH}) { continue; }
    for (var kw = 0; kw < ${kernel[1]} + i32(rt0); kw++) {
      let tw = iw + ${g.pads[1]} - kw * ${g.dilations[1]};
      if (tw < 0 || tw % ${g.strides[1]} != 0 || tw / ${g.strides[1]} >= ${OW}) { continue; }
      let yi = (nc * ${OH}u + u32(th / ${g.strides[0]})) * ${OW}u + u32(tw / ${g.strides[1]});
      ${take}
    }
  }
  dx[gid] = acc;
}
`;
  return { code, wg: dispatchSize(total) };
}

/** Pass 1 of AveragePoolGrad: g = dY / (cells inside [+ pad cells when count_include_pad]). Bindings dy, g. */
export function emitAvgPoolScale(x: number[], y: number[], kernel: number[], g: Omit<Conv2dGeom, 'group'>, includePad: boolean): Emitted {
  const [, , H, W] = x as [number, number, number, number], [, , OH, OW] = y as [number, number, number, number];
  const total = y.reduce((a, b) => a * b, 1);
  const code = `${declareBindings([r('dy'), w('g')])}
${mainStart(total)}  let ow = i32(gid % ${OW}u); let oh = i32((gid / ${OW}u) % ${OH}u);
  var cnt = 0.0;
  for (var kh = 0; kh < ${kernel[0]} + i32(rt0); kh++) {
    let ih = oh * ${g.strides[0]} - ${g.pads[0]} + kh * ${g.dilations[0]};
    for (var kw = 0; kw < ${kernel[1]} + i32(rt0); kw++) {
      let iw = ow * ${g.strides[1]} - ${g.pads[1]} + kw * ${g.dilations[1]};
      let inside = ih >= 0 && ih < ${H} && iw >= 0 && iw < ${W};
      let inPad = ih >= -${g.pads[0]} && ih < ${H + g.pads[2]!} && iw >= -${g.pads[1]} && iw < ${W + g.pads[3]!};
      if (inside) { cnt += 1.0; } else if (${includePad ? 'inPad' : 'false'}) { cnt += 1.0; }
    }
  }
  g[gid] = select(0.0, dy[gid] / cnt, cnt > 0.0);
}
`;
  return { code, wg: dispatchSize(total) };
}

/** Bindings: logits [N, K], labels [N], loss [1] (one thread: the mean over rows). */
export function emitSoftmaxCrossEntropy(N: number, K: number): Emitted {
  const code = `${declareBindings([r('x'), r('labels'), w('loss')])}
${mainStart(1)}  var total = 0.0;
  for (var row = 0u; row < ${N}u + rt0; row++) {
    let base = row * ${K}u;
    var mx = -3.4028234663852886e38;
    for (var j = 0u; j < ${K}u + rt0; j++) { mx = max(mx, x[base + j]); }
    var s = 0.0;
    for (var j = 0u; j < ${K}u + rt0; j++) { s += exp(x[base + j] - mx); }
    total += log(s) - (x[base + u32(labels[row])] - mx);
  }
  loss[0] = total / f32(${N});
}
`;
  return { code, wg: dispatchSize(1) };
}

/** Bindings: logits, labels, dloss [1], dx: dLoss/N * (softmax - onehot). */
export function emitSoftmaxCrossEntropyGrad(N: number, K: number): Emitted {
  const code = `${declareBindings([r('x'), r('labels'), r('dl'), w('dx')])}
${mainStart(N)}  let base = gid * ${K}u;
  var mx = -3.4028234663852886e38;
  for (var j = 0u; j < ${K}u + rt0; j++) { mx = max(mx, x[base + j]); }
  var s = 0.0;
  for (var j = 0u; j < ${K}u + rt0; j++) { s += exp(x[base + j] - mx); }
  let k = dl[0] / f32(${N});
  let label = u32(labels[gid]);
  for (var j = 0u; j < ${K}u + rt0; j++) { dx[base + j] = k * (exp(x[base + j] - mx) / s - select(0.0, 1.0, j == label)); }
}
`;
  return { code, wg: dispatchSize(N) };
}

export function emitReluGrad(total: number): Emitted {
  const code = `${declareBindings([r('dy'), r('y'), w('dx')])}
${mainStart(total)}  dx[gid] = select(0.0, dy[gid], y[gid] > 0.0);
}
`;
  return { code, wg: dispatchSize(total) };
}
