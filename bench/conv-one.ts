// One conv (+ bias + ReLU, fused by -O2) alone on the js backend, 1 thread: min and median CPU ms (or wall ms) over
// interleaved runs of each case (a case may force a kernel by compile options), so a kernel change can be measured
// without the rest of a model. The time includes the harness (copying the input in and the output out).
//   npx tsx bench/conv-one.ts [--runs 40] [--only REGEX] [--wall]
import { Graph, type AttrValue } from '../src/ir/graph.ts';
import { inferShapes } from '../src/ir/infer.ts';
import { Tensor } from '../src/ir/tensor.ts';
import { compileJs, compileProgram } from '../runtime/js/index.ts';
import { loadOptimizer } from '../src/cli/level.ts';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 40);
interface Case { name: string; x: number[]; w: number[]; attrs: Record<string, AttrValue>; relu: boolean; opts?: Record<string, unknown> }
const CASES: Case[] = [
  { name: 'stem 7x7/2 3->64 224', x: [1, 3, 224, 224], w: [64, 3, 7, 7], attrs: { kernel_shape: [7, 7], strides: [2, 2], pads: [3, 3, 3, 3] }, relu: true },
  { name: 'stem im2col', x: [1, 3, 224, 224], w: [64, 3, 7, 7], attrs: { kernel_shape: [7, 7], strides: [2, 2], pads: [3, 3, 3, 3] }, relu: true, opts: { winogradPhase: false } },
  { name: 'stem F2', x: [1, 3, 224, 224], w: [64, 3, 7, 7], attrs: { kernel_shape: [7, 7], strides: [2, 2], pads: [3, 3, 3, 3] }, relu: true, opts: { winogradTile: 2 } },
  { name: 'gemm-only 1x1 147->64 112', x: [1, 147, 112, 112], w: [64, 147, 1, 1], attrs: { kernel_shape: [1, 1] }, relu: true },
  { name: '3x3/2 64->128 56', x: [1, 64, 56, 56], w: [128, 64, 3, 3], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, relu: true },
  { name: '3x3/2 64->128 56 F4', x: [1, 64, 56, 56], w: [128, 64, 3, 3], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, relu: true, opts: { winogradTile: 4 } },
  { name: '3x3/2 128->256 28 F4', x: [1, 128, 28, 28], w: [256, 128, 3, 3], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, relu: true, opts: { winogradTile: 4 } },
  { name: '3x3/2 64->128 56 im2col', x: [1, 64, 56, 56], w: [128, 64, 3, 3], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, relu: true, opts: { winogradPhase: false } },
  { name: '3x3/2 128->256 28 im2col', x: [1, 128, 28, 28], w: [256, 128, 3, 3], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, relu: true, opts: { winogradPhase: false } },
  { name: '3x3/2 128->256 28', x: [1, 128, 28, 28], w: [256, 128, 3, 3], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, relu: true },
  { name: '5x5/2 32->64 56', x: [1, 32, 56, 56], w: [64, 32, 5, 5], attrs: { kernel_shape: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2] }, relu: true },
  { name: '5x5/2 32->64 56 im2col', x: [1, 32, 56, 56], w: [64, 32, 5, 5], attrs: { kernel_shape: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2] }, relu: true, opts: { winogradPhase: false } },
  { name: '5x5/2 16->32 112', x: [1, 16, 112, 112], w: [32, 16, 5, 5], attrs: { kernel_shape: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2] }, relu: true },
  { name: '5x5/2 16->32 112 im2col', x: [1, 16, 112, 112], w: [32, 16, 5, 5], attrs: { kernel_shape: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2] }, relu: true, opts: { winogradPhase: false } },
  { name: 'wino 3x3/1 64->64 56', x: [1, 64, 56, 56], w: [64, 64, 3, 3], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, relu: true },
  { name: 'wino 3x3/1 256->256 14', x: [1, 256, 14, 14], w: [256, 256, 3, 3], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, relu: true, opts: { winogradSmall: false } },
  { name: '1x1/2 64->128 56', x: [1, 64, 56, 56], w: [128, 64, 1, 1], attrs: { kernel_shape: [1, 1], strides: [2, 2] }, relu: false },
  { name: '1x1/1 64->128 28 direct', x: [1, 64, 28, 28], w: [128, 64, 1, 1], attrs: { kernel_shape: [1, 1] }, relu: false },
  { name: '1x1/2 128->256 28', x: [1, 128, 28, 28], w: [256, 128, 1, 1], attrs: { kernel_shape: [1, 1], strides: [2, 2] }, relu: false },
  { name: '1x1/2 256->512 14', x: [1, 256, 14, 14], w: [512, 256, 1, 1], attrs: { kernel_shape: [1, 1], strides: [2, 2] }, relu: false },
];
const only = args.indexOf('--only') >= 0 ? new RegExp(args[args.indexOf('--only') + 1]!) : /./;
const rnd = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
const models = [];
for (const c of CASES.filter((c) => only.test(c.name))) {
  const g = new Graph('one');
  const x = g.addInput('x', { dtype: 'float32', shape: c.x });
  const n = c.w.reduce((a, b) => a * b, 1);
  let y = g.addNode('Conv', [x, g.addConst('w', new Tensor('float32', c.w, rnd(n))), g.addConst('b', new Tensor('float32', [c.w[0]!], rnd(c.w[0]!)))], c.attrs, { name: 'conv' }).outputs[0]!;
  if (c.relu) y = g.addNode('Relu', [y], {}).outputs[0]!;
  g.outputs = [y];
  inferShapes(g);
  (await loadOptimizer(2))(g);
  const kind = compileProgram(g, { threads: 1, ...c.opts }).kernels.map((k) => k.kind).filter((k) => k !== 'view').join(' | ');
  const m = await compileJs(g, { threads: 1, ...c.opts });
  const feeds = { x: new Tensor('float32', c.x, rnd(c.x.reduce((a, b) => a * b, 1))) };
  const flops = 2 * c.w.reduce((a, b) => a * b, 1) * ((await m.run(feeds)) as Record<string, Tensor>)[g.outputs[0]!.name]!.size / c.w[0]!;
  models.push({ c, m, feeds, kind, flops, t: [] as number[] });
}
// Process CPU time per run (1 thread: preemption by other processes does not count), or the wall clock (--wall).
const WALL = args.includes('--wall');
const clock = () => { if (WALL) return performance.now(); const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
for (let r = 0; r < RUNS; r++) for (const e of models) { const t0 = clock(); await e.m.run(e.feeds); e.t.push(clock() - t0); }
for (const e of models) {
  const s = [...e.t].sort((a, b) => a - b);
  console.log(`${e.c.name.padEnd(28)} min ${s[0]!.toFixed(3)} med ${s[s.length >> 1]!.toFixed(3)} ms  ${(e.flops / s[0]! / 1e6).toFixed(1)} GFLOP/s(min)  ${e.kind}`);
}
