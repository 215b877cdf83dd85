// MaxPool / AveragePool (NCHW, pads excluded from the average unless count_include_pad) and
// GlobalAveragePool: one thread per output element, window bounds baked into the source.
import { declareBindings, dispatchSize, mainStart } from '../shader.ts';

export interface PoolSpec {
  kind: 'max' | 'avg';
  x: [number, number, number, number];
  y: [number, number, number, number];
  kernel: [number, number]; strides: [number, number]; dilations: [number, number];
  pads: [number, number, number, number];
  countIncludePad: boolean;
}

export function emitPool(s: PoolSpec): { code: string; wg: [number, number] } {
  const [, , H, W] = s.x; const [N, C, OH, OW] = s.y;
  const total = N * C * OH * OW;
  const init = s.kind === 'max' ? '-3.4028234663852886e38' : '0.0';
  const acc = s.kind === 'max' ? 'acc = max(acc, v);' : 'acc += v;';
  const fin = s.kind === 'max' ? 'acc' : `acc / f32(${s.countIncludePad ? s.kernel[0] * s.kernel[1] : 'cnt'})`;
  const code = `${declareBindings([{ name: 'x', access: 'read' }, { name: 'y', access: 'read_write' }])}
${mainStart(total)}  let ox = gid % ${OW}u; let oy = (gid / ${OW}u) % ${OH}u; let nc = gid / ${OW * OH}u;
  var acc = ${init}; var cnt = 0u;
  for (var ky = 0u; ky < ${s.kernel[0]}u; ky++) {
    let iy = i32(oy * ${s.strides[0]}u + ky * ${s.dilations[0]}u) - ${s.pads[0]};
    if (iy < 0 || iy >= ${H}) { continue; }
    for (var kx = 0u; kx < ${s.kernel[1]}u; kx++) {
      let ix = i32(ox * ${s.strides[1]}u + kx * ${s.dilations[1]}u) - ${s.pads[1]};
      if (ix < 0 || ix >= ${W}) { continue; }
      let v = x[(nc * ${H}u + u32(iy)) * ${W}u + u32(ix)];
      ${acc} cnt++;
    }
  }
  y[gid] = ${fin};
}
`;
  return { code, wg: dispatchSize(total) };
}

/** Mean over the trailing `inner` elements of each of `outer` rows (GlobalAveragePool: inner = H*W). */
export function emitRowMean(outer: number, inner: number): { code: string; wg: [number, number] } {
  const code = `${declareBindings([{ name: 'x', access: 'read' }, { name: 'y', access: 'read_write' }])}
${mainStart(outer)}  var acc = 0.0;
  for (var i = 0u; i < ${inner}u; i++) { acc += x[gid * ${inner}u + i]; }
  y[gid] = acc / f32(${inner});
}
`;
  return { code, wg: dispatchSize(outer) };
}
