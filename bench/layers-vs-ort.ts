// Where layerc's js backend loses to onnxruntime-node, layer by layer: every convolution of a model with its shape,
// the kernel layerc picked (Winograd F(m), im2col GEMM, direct, blocked...), layerc's and onnxruntime-node's
// milliseconds (1 thread each), the ratio, the nominal GFLOP/s of both (direct-convolution FLOPs / time) and the
// GEMM work layerc's algorithm really does, sorted by the absolute gap. The whole-model totals close the table, so
// the few layers worth attacking stand out. One tool for every model (ResNet-18, MobileNetV2, SqueezeNet...).
// onnxruntime-node times its nodes itself (SessionOptions.enableProfiling); layerc's executor times its phases
// (the `profile` option). Both run in this process, their runs interleaved, so a load change hits both alike;
// per layer the median over the timed runs. Convs are matched by (input shape, weight shape, order of appearance):
// onnxruntime renames fused nodes, layerc names a fused conv after its conv.
//   npx tsx bench/layers-vs-ort.ts [MODEL.onnx | resnet18 | mobilenetv2 | squeezenet1_1] [--runs 30]
//     [--stat median|min] [--no-winograd] [--small on|off] [--layout nchw] [--all]   (--all: non-conv layers too;
//     --small: force the small-map Winograd kernel on/off)
// The last lines hold the ceiling argument: this machine's wasm SIMD ceiling (./simd-ceiling.ts, measured) and the
// time layerc's convs would take if all their GEMM work ran at it.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { loadModel } from '../src/frontend/load.ts';
import { fixInputShapes, randomFeeds } from '../src/cli/bench.ts';
import { loadOptimizer } from '../src/cli/level.ts';
import { buildProgram } from '../runtime/js/program.ts';
import { runProgram } from '../runtime/js/executor.ts';
import { JS_CAPABILITIES } from '../runtime/js/index.ts';
import { lowering } from '../passes/pipelines.ts';
import { mobilenetV2, resnet18 } from './models.ts';
import { simdCeiling } from './simd-ceiling.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (k: string, d: string) => { const i = args.indexOf(`--${k}`); return i >= 0 ? args[i + 1]! : d; };
const RUNS = Number(opt('runs', '30')), WARMUP = 3;
/** median (default) or min per layer: on a loaded machine the minimum is the steadier figure for a kernel. */
const STAT = opt('stat', 'median');

/** A model name from the bench (built into bench/.models like bench/compare.ts does) or a path. */
function modelPath(arg: string): string {
  const own: Record<string, () => Uint8Array> = { resnet18, mobilenetv2: mobilenetV2 };
  if (own[arg]) {
    const p = join(HERE, '.models', `${arg}.onnx`);
    if (!existsSync(p)) { mkdirSync(dirname(p), { recursive: true }); writeFileSync(p, own[arg]!()); }
    return p;
  }
  if (arg === 'squeezenet1_1') return join(HERE, '..', '..', 'shared', 'fixtures', 'models', 'squeezenet1_1', 'model.onnx');
  return arg;
}

interface ConvInfo { name: string; key: string; M: number; label: string; flops: number }

const median = (xs: number[]) => {
  if (STAT === 'min') return Math.min(...xs);
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The model's convs in graph order, keyed by input shape and weight shape but its output channels (onnxruntime's
 *  NCHWc convs report those rounded up to its block, e.g. 1000 -> 1008). */
function convsOf(g: Awaited<ReturnType<typeof loadModel>>): ConvInfo[] {
  return g.nodes.filter((n) => n.op === 'Conv').map((n) => {
    const x = n.inputs[0]!.type.shape as number[], w = n.inputs[1]!.type.shape as number[], y = n.outputs[0]!.type.shape as number[];
    const a = n.attrs as { strides?: number[]; group?: number };
    const s = a.strides?.[0] ?? 1, gr = a.group ?? 1;
    const label = `${x[1]}->${w[0]} ${w[2]}x${w[3]}/${s}${gr > 1 ? ` g${gr}` : ''} ${x[2]}x${x[3]}`;
    return { name: n.name, key: `${x.join('x')}|${w.slice(1).join('x')}`, M: w[0]!, label, flops: 2 * prod(y) * prod(w.slice(1)) };
  });
}

/** GEMM flops layerc's kernel really does, read from its kind ("36 gemms 64x64x64 (4 chunks ...)", "gemm 128x576x784"). */
function algoFlops(kind: string): number | null {
  const m = /(?:(\d+) gemms|gemm) (\d+)x(\d+)x(\d+)/.exec(kind);
  const chunks = Number(/\((\d+) chunks/.exec(kind)?.[1] ?? 1);
  return m ? 2 * chunks * Number(m[1] ?? 1) * Number(m[2]) * Number(m[3]) * Number(m[4]) : null;
}

/** A short name of layerc's algorithm for the table. */
function algoName(kind: string): string {
  const w = /winograd (F\(\d)x\d,(\d)x\d\)( small map| phases)?/.exec(kind);
  if (w) return `wino ${w[1]}${w[2] === '3' ? '' : `,${w[2]}`})${w[3] === ' small map' ? ' small' : w[3] === ' phases' ? ' phases' : ''}`;
  if (/direct/.test(kind)) return 'direct';
  if (/blocked|depthwise|pointwise/.test(kind)) return kind.split(' ').slice(0, 2).join(' ');
  if (/gemm/.test(kind)) return 'im2col+gemm';
  return kind.split(' ')[0]!;
}

async function main(): Promise<void> {
  const path = modelPath(args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? 'resnet18');
  const g = await loadModel(path);
  fixInputShapes(g, 1);
  const convs = convsOf(g);
  const feeds = randomFeeds(g);
  const input = g.inputs[0]!;

  // layerc: -O2 and the js backend's lowering, as `layerc bench` / bench/compare.ts compile it.
  (await loadOptimizer(2))(g);
  fixInputShapes(g, 1);
  lowering(JS_CAPABILITIES)(g);
  const small = opt('small', '');
  const p = buildProgram(g, { threads: 1, training: false, simd: true, winograd: !args.includes('--no-winograd'), layout: opt('layout', 'auto') as 'auto' | 'nchw',
    ...(small ? { winogradSmall: small === 'on' } : {}) });
  const profile = new Float64Array(p.phaseNodes.length + 1);
  const m = await runProgram(p, { profile });
  const kindOf = new Map(p.kernels.map((k) => [k.node, k.kind]));
  const convOfPhase = p.phaseNodes.map((node) => {
    let best: ConvInfo | undefined;
    for (const c of convs) if ((node === c.name || node.startsWith(`${c.name}_`)) && c.name.length > (best?.name.length ?? 0)) best = c;
    return best;
  });

  // onnxruntime-node with all its graph optimizations, 1 thread, profiling on.
  const dir = mkdtempSync(join(tmpdir(), 'ort-prof-'));
  const session = await ort.InferenceSession.create(readFileSync(path), {
    executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    enableProfiling: true, profileFilePrefix: join(dir, 'p'),
  } as never);
  const x = feeds[input.name]!;
  const ortFeeds = { [input.name]: new ort.Tensor('float32', x.data as Float32Array, x.shape as number[]) };

  const layercPhase: number[][] = p.phaseNodes.map(() => []);
  const layercTotal: number[] = [], ortTotal: number[] = [];
  for (let r = 0; r < WARMUP + RUNS; r++) {
    profile.fill(0);
    let t0 = performance.now();
    await m.run(feeds);
    if (r >= WARMUP) { layercTotal.push(performance.now() - t0); p.phaseNodes.forEach((_, i) => layercPhase[i]!.push(profile[i]!)); }
    t0 = performance.now();
    await session.run(ortFeeds as never);
    if (r >= WARMUP) ortTotal.push(performance.now() - t0);
  }
  await m.dispose();
  (session as unknown as { endProfiling(): void }).endProfiling();
  await session.release();
  const file = readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) throw new Error('onnxruntime-node wrote no profile');
  const events = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cat: string; name: string; dur: number; args: { op_name?: string; input_type_shape?: Record<string, number[]>[] } }[])
    .filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  rmSync(dir, { recursive: true, force: true });

  // onnxruntime: per node, the durations of the timed runs (each node runs once per run, in order).
  const ortNodes = new Map<string, { op: string; key: string; M: number; us: number[] }>();
  for (const e of events) {
    const name = e.name.slice(0, -'_kernel_time'.length);
    let n = ortNodes.get(name);
    if (!n) {
      const shapes = (e.args.input_type_shape ?? []).map((s) => Object.values(s)[0]!);
      n = { op: e.args.op_name ?? '?', key: shapes.length > 1 ? `${shapes[0]!.join('x')}|${shapes[1]!.slice(1).join('x')}` : '', M: shapes[1]?.[0] ?? 0, us: [] };
      ortNodes.set(name, n);
    }
    n.us.push(e.dur);
  }
  // Match onnxruntime's conv nodes to the model's convs by key, in order of appearance.
  const ortMsOf = new Map<string, number>();
  const unused = new Map<string, ConvInfo[]>();
  for (const c of convs) unused.set(c.key, [...(unused.get(c.key) ?? []), c]);
  let ortOther = 0;
  for (const [, n] of ortNodes) {
    const ms = median(n.us.slice(WARMUP)) / 1000;
    const cands = /Conv/.test(n.op) ? unused.get(n.key) ?? [] : [];
    const at = cands.findIndex((c) => n.M >= c.M && n.M - c.M < 16);
    const c = at >= 0 ? cands.splice(at, 1)[0] : undefined;
    if (c) ortMsOf.set(c.name, ms); else ortOther += ms;
    if (!c && /Conv/.test(n.op)) console.error(`unmatched ort conv ${n.op} ${n.key}`);
  }

  // layerc: a kernel may run as several phases; per run, its phases summed.
  const perNode = new Map<string, { conv?: ConvInfo; runs: number[] }>();
  p.phaseNodes.forEach((node, i) => {
    const e = perNode.get(node) ?? { conv: convOfPhase[i], runs: new Array<number>(RUNS).fill(0) };
    layercPhase[i]!.forEach((ms, r) => { e.runs[r]! += ms; });
    perNode.set(node, e);
  });
  interface Row { conv?: ConvInfo; node: string; kind: string; ms: number; ortMs: number | null }
  const rows: Row[] = [];
  let layercOther = 0;
  for (const [node, { conv, runs }] of perNode) {
    const ms = median(runs);
    if (conv) rows.push({ conv, node, kind: kindOf.get(node) ?? '?', ms, ortMs: ortMsOf.get(conv.name) ?? null });
    else { layercOther += ms; if (args.includes('--all')) rows.push({ node, kind: kindOf.get(node) ?? '?', ms, ortMs: null }); }
  }
  rows.sort((a, b) => (b.ms - (b.ortMs ?? 0)) - (a.ms - (a.ortMs ?? 0)));

  const f1 = (v: number) => v.toFixed(v < 10 ? 2 : 1);
  const gf = (flops: number, ms: number) => (flops / ms / 1e6).toFixed(0);
  console.log(`${path}: ${RUNS} runs each, 1 thread, interleaved; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ms = ${STAT} per layer and run`);
  console.log(`GFLOP/s = nominal direct-conv FLOPs / time; 'gemm GF' = GFLOP of layerc's GEMM work (Winograd: the transformed products)`);
  console.log(['layer', 'shape (C->M k/s HxW)', 'layerc algo', 'layerc ms', 'ort ms', 'ratio', 'gap ms', 'layerc GF/s', 'ort GF/s', 'gemm GF', 'gemm GF/s'].join(' | '));
  const sum = { l: 0, o: 0, flops: 0, gemm: 0 };
  for (const r of rows) {
    const af = algoFlops(r.kind);
    if (r.conv) { sum.l += r.ms; sum.o += r.ortMs ?? 0; sum.flops += r.conv.flops; sum.gemm += af ?? r.conv.flops; }
    console.log([
      (r.conv?.name ?? r.node).padEnd(10), (r.conv?.label ?? r.kind.slice(0, 24)).padEnd(22), algoName(r.kind).padEnd(12),
      f1(r.ms).padStart(6), r.ortMs === null ? '     -' : f1(r.ortMs).padStart(6),
      r.ortMs ? `${(r.ms / r.ortMs).toFixed(2)}x`.padStart(6) : '     -', f1(r.ms - (r.ortMs ?? 0)).padStart(6),
      r.conv ? gf(r.conv.flops, r.ms).padStart(5) : '    -', r.conv && r.ortMs ? gf(r.conv.flops, r.ortMs).padStart(5) : '    -',
      af ? (af / 1e9).toFixed(3).padStart(6) : '     -', af ? gf(af, r.ms).padStart(5) : '    -',
    ].join(' | '));
  }
  const lt = median(layercTotal), ot = median(ortTotal);
  console.log(`convs: layerc ${f1(sum.l)} ms (${gf(sum.flops, sum.l)} GFLOP/s), ort-node ${f1(sum.o)} ms (${gf(sum.flops, sum.o)} GFLOP/s), ${(sum.l / sum.o).toFixed(2)}x`);
  console.log(`other layers: layerc ${f1(layercOther)} ms, ort-node ${f1(ortOther)} ms (incl. its layout reorders)`);
  console.log(`whole run (median wall): layerc ${f1(lt)} ms, ort-node ${f1(ot)} ms, ${(lt / ot).toFixed(2)}x`);
  const ceil = simdCeiling();
  console.log(`ceiling: wasm SIMD ${ceil.toFixed(1)} GFLOP/s here (f32x4.add rate x 8; native AVX-512 FMA issues 4x the flops per cycle);`
    + ` ort-node's convs ran at ${gf(sum.flops, sum.o)} nominal GFLOP/s`);
  console.log(`floor: layerc's convs do ${(sum.gemm / 1e9).toFixed(3)} GFLOP of GEMM work (nominal ${(sum.flops / 1e9).toFixed(3)}): at the ceiling`
    + ` ${f1(sum.gemm / ceil / 1e6)} ms, ${(sum.gemm / ceil / 1e6 / sum.o).toFixed(2)}x ort-node's convs, with no transforms, packing or other layers`);
}

await main();
