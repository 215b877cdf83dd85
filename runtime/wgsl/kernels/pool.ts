// N-D MaxPool (optionally with the flat argmax Indices output) / AveragePool and GlobalAveragePool: one
// thread per output element, window bounds baked into the source. Along each axis tap k of output o reads
// t = o*stride - padBegin + k*dilation: inside [0, in) it is an input element; inside the pads it counts
// for count_include_pad; past the end pad (a ceil_mode window) it does not count at all.
import { coords, declareBindings, dispatchSize, mainStart } from '../shader.ts';

export interface PoolSpec {
  kind: 'max' | 'avg';
  x: number[]; y: number[];
  kernel: number[]; strides: number[]; dilations: number[];
  /** [begin per spatial axis..., end per spatial axis...]. */
  pads: number[];
  countIncludePad: boolean;
  /** MaxPool's second output: flat index of the max in the input tensor. */
  indices?: boolean;
}

export function emitPool(s: PoolSpec): { code: string; wg: [number, number] } {
  const r = s.x.length - 2, sp = s.x.slice(2);
  const total = s.y.reduce((a, b) => a * b, 1);
  const init = s.kind === 'max' ? '-3.4028234663852886e38' : '0.0';
  let body = '', idx = 'nc';
  for (let a = 0; a < r; a++) {
    const ind = '  ' + '  '.repeat(a), pb = s.pads[a]!, pe = s.pads[a + r]!;
    body += `${ind}for (var k${a} = 0u; k${a} < ${s.kernel[a]}u + rt0; k${a}++) {\n` +
      `${ind}  let t${a} = i32(o${a + 2} * ${s.strides[a]}u + k${a} * ${s.dilations[a]}u) - ${pb};\n` +
      `${ind}  if (t${a} >= ${sp[a]! + pe}) { continue; }\n` +
      `${ind}  let in${a} = t${a} >= 0 && t${a} < ${sp[a]};\n`;
    idx = `(${idx} * ${sp[a]}u + u32(t${a}))`;
  }
  const ind = '  ' + '  '.repeat(r);
  const take = s.kind === 'max'
    ? `${ind}if (inside) { let v = x[${idx}]; if (v > acc) { acc = v; arg = ${idx}; } }\n`
    : `${ind}if (inside) { acc += x[${idx}]; cnt += 1u; } else { pads += 1u; }\n`;
  body += `${ind}let inside = ${Array.from({ length: r }, (_, a) => `in${a}`).join(' && ')};\n${take}`;
  for (let a = r - 1; a >= 0; a--) body += `${'  ' + '  '.repeat(a)}}\n`;
  const fin = s.kind === 'max' ? 'acc' : `acc / f32(${s.countIncludePad ? 'cnt + pads' : 'max(cnt, 1u)'})`;
  const binds = [{ name: 'x', access: 'read' as const }, { name: 'y', access: 'read_write' as const },
    ...(s.indices ? [{ name: 'ind', access: 'read_write' as const }] : [])];
  const code = `${declareBindings(binds)}
${mainStart(total)}${coords('gid', s.y, 'o')}
  let nc = gid / ${s.y.slice(2).reduce((a, b) => a * b, 1)}u;
  var acc = ${init}; var cnt = 0u; var pads = 0u; var arg = 4294967295u;
${body}  y[gid] = ${fin};
${s.indices ? '  ind[gid] = f32(arg);\n' : ''}}
`;
  return { code, wg: dispatchSize(total) };
}

/** Mean over the trailing `inner` elements of each of `outer` rows (GlobalAveragePool: inner = H*W). */
export function emitRowMean(outer: number, inner: number): { code: string; wg: [number, number] } {
  const code = `${declareBindings([{ name: 'x', access: 'read' }, { name: 'y', access: 'read_write' }])}
${mainStart(outer)}  var acc = 0.0;
  for (var i = 0u; i < ${inner}u + rt0; i++) { acc += x[gid * ${inner}u + i]; }
  y[gid] = acc / f32(${inner});
}
`;
  return { code, wg: dispatchSize(outer) };
}
