// `layerc viz MODEL -o graph.svg|graph.html`: the graph before and after optimization, side by side. The
// layout is ELK's layered algorithm (elkjs: node ranks, crossing minimization, orthogonal edge routes); this
// file only measures the boxes and writes the SVG from ELK's coordinates. A Fused node is drawn as a
// cluster: a box headed "Fused" holding one row for its base op and one per epilogue step, so what the
// optimizer merged is visible at a glance. Initializers are not drawn; a node lists how many it reads.
import type { Command } from 'commander';
import { basename, extname } from 'node:path';
import type { ELK as ElkApi, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { Graph, Node, Value } from '../ir/graph.ts';
import { fusedAttrs } from '../ops/fused.ts';
import { STEP_KINDS, onStep } from '../ops/fused-contract.ts';
import { lcError } from '../diagnostics.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { parseLevel } from './level.ts';

/** ELK, loaded on first use (its bundle takes about a second to load: `layerc --help` should not wait for it).
 *  elk.bundled.js is CommonJS: Node hands its constructor over as the default import, the typings as `.default`. */
async function loadElk(): Promise<new () => ElkApi> {
  const elkModule = (await import('elkjs/lib/elk.bundled.js')).default;
  return ((elkModule as unknown as { default?: unknown }).default ?? elkModule) as new () => ElkApi;
}

const CHAR_W = 7.2, LINE_H = 16, PAD = 8, GAP = 60, TITLE_H = 30;

interface Box { id: string; lines: string[]; kind: 'node' | 'fused' | 'io'; op: string; width: number; height: number }

/** The rows drawn in a node's box: op (with a short attribute summary), fused steps, output shape. */
function boxOf(n: Node, id: string): Box {
  const shape = n.outputs[0]?.type.shape;
  const consts = n.args.filter((v) => v.isConst).length;
  const foot = `${shape ? `[${shape.join(', ')}]` : '[?]'}${consts ? `  ${consts} const` : ''}`;
  let lines: string[];
  if (n.domain === 'ai.layerc' && n.op === 'Fused') {
    const a = fusedAttrs(n.attrs);
    const operand = (k: number) => n.inputs[k]?.name ?? `#${k}`;
    lines = ['Fused', `${a.base}${summary(a.base_attrs as Record<string, unknown>)}`, ...a.epilogue.map((s) => onStep(s, {
      act: (st) => `act ${st.name}`,
      gelu: (st) => `act Gelu${st.approximate === 'tanh' ? ' (tanh)' : ''}`,
      add: (st) => `${STEP_KINDS.add.label} ${operand(st.input)}`,
      mul: (st) => `${STEP_KINDS.mul.label} ${operand(st.input)}`,
      layernorm: (st) => `LayerNorm (last axis) × ${operand(st.scale)}${st.bias === null ? '' : ` + ${operand(st.bias)}`}`,
    })), foot];
  } else lines = [`${n.op}${summary(n.attrs)}`, foot];
  const kind = lines[0] === 'Fused' ? 'fused' : 'node';
  return { id, lines, kind, op: n.op, width: measure(lines), height: lines.length * LINE_H + 2 * PAD + (kind === 'fused' ? PAD : 0) };
}

/** kernel/stride/group in a few characters: "Conv 3x3/2 g32". */
function summary(attrs: Record<string, unknown>): string {
  const k = attrs.kernel_shape as number[] | undefined, s = attrs.strides as number[] | undefined;
  const parts: string[] = [];
  if (k) parts.push(k.join('x') + (s && s.some((x) => x !== 1) ? `/${s.join('x')}` : ''));
  if (typeof attrs.group === 'number' && attrs.group > 1) parts.push(`g${attrs.group}`);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

const measure = (lines: string[]) => Math.ceil(Math.max(...lines.map((l) => l.length)) * CHAR_W + 2 * PAD);

function ioBox(v: Value, id: string, what: string): Box {
  const lines = [`${what} ${v.name}`, `${v.type.dtype}${v.type.shape ? `[${v.type.shape.join(', ')}]` : ''}`];
  return { id, lines, kind: 'io', op: what, width: measure(lines), height: lines.length * LINE_H + 2 * PAD };
}

/** ELK layout of one graph; returns the boxes and routed edges in the graph's own coordinates. */
async function layoutGraph(g: Graph, prefix: string): Promise<{ root: ElkNode; boxes: Map<string, Box> }> {
  const boxes = new Map<string, Box>();
  const source = new Map<Value, string>();
  g.inputs.forEach((v, i) => { if (!v.isConst) { const b = ioBox(v, `${prefix}in${i}`, 'input'); boxes.set(b.id, b); source.set(v, b.id); } });
  g.nodes.forEach((n, i) => {
    const b = boxOf(n, `${prefix}n${i}`);
    boxes.set(b.id, b);
    for (const o of n.outputs) source.set(o, b.id);
  });
  const edges: ElkExtendedEdge[] = [];
  const link = (from: string | undefined, to: string) => { if (from) edges.push({ id: `${prefix}e${edges.length}`, sources: [from], targets: [to] }); };
  g.nodes.forEach((n, i) => { for (const v of new Set(n.args)) link(source.get(v), `${prefix}n${i}`); });
  g.outputs.forEach((v, i) => {
    const b = ioBox(v, `${prefix}out${i}`, 'output');
    boxes.set(b.id, b);
    link(source.get(v), b.id);
  });
  const elk = new (await loadElk())();
  const root = await elk.layout({
    id: `${prefix}root`,
    layoutOptions: {
      'elk.algorithm': 'layered', 'elk.direction': 'DOWN', 'elk.edgeRouting': 'ORTHOGONAL',
      'elk.spacing.nodeNode': '24', 'elk.layered.spacing.nodeNodeBetweenLayers': '32', 'elk.padding': '[top=10,left=10,bottom=10,right=10]',
    },
    children: [...boxes.values()].map((b) => ({ id: b.id, width: b.width, height: b.height })),
    edges,
  });
  return { root, boxes };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const FILL = { node: '#eef3fb', fused: '#fdf1dc', io: '#eaf6ea' } as const;

function drawBox(b: Box, x: number, y: number): string {
  const out = [`<g class="${b.kind}" data-op="${esc(b.op)}" transform="translate(${x},${y})">`,
    `<rect width="${b.width}" height="${b.height}" rx="${b.kind === 'io' ? 12 : 4}" fill="${FILL[b.kind]}" stroke="${b.kind === 'fused' ? '#c77a00' : '#557'}" stroke-width="${b.kind === 'fused' ? 2 : 1}"/>`];
  if (b.kind === 'fused') {
    // the cluster: one inner row per fused part (base op, then each epilogue step)
    const rows = b.lines.slice(1, -1);
    out.push(`<rect class="fused-part" x="4" y="${PAD + LINE_H - 2}" width="${b.width - 8}" height="${rows.length * LINE_H + 4}" fill="#fff" stroke="#c77a00" stroke-dasharray="3,2"/>`);
  }
  b.lines.forEach((l, i) => {
    const dy = PAD + (i + 1) * LINE_H - 4 + (b.kind === 'fused' && i === b.lines.length - 1 ? PAD : 0);
    out.push(`<text x="${PAD}" y="${dy}"${i === 0 ? ' font-weight="bold"' : ''}>${esc(l)}</text>`);
  });
  return out.join('') + '</g>';
}

function drawEdges(root: ElkNode): string {
  const parts: string[] = [];
  for (const e of root.edges ?? []) {
    for (const s of e.sections ?? []) {
      const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => `${p.x},${p.y}`).join(' ');
      parts.push(`<polyline class="edge" points="${pts}" fill="none" stroke="#666" marker-end="url(#arrow)"/>`);
    }
  }
  return parts.join('\n');
}

/** Both graphs side by side as one SVG document (`after` null: only the first panel). */
export async function renderSvg(panels: { title: string; graph: Graph }[]): Promise<string> {
  const body: string[] = [];
  let x0 = 0, height = 0;
  for (const [i, p] of panels.entries()) {
    const { root, boxes } = await layoutGraph(p.graph, `p${i}_`);
    const w = root.width ?? 0, h = root.height ?? 0;
    body.push(`<g class="panel" transform="translate(${x0},0)"><text class="title" x="10" y="20" font-size="16" font-weight="bold">${esc(p.title)}</text>`);
    body.push(`<g transform="translate(0,${TITLE_H})">${drawEdges(root)}`);
    for (const c of root.children ?? []) body.push(drawBox(boxes.get(c.id)!, c.x ?? 0, c.y ?? 0));
    body.push('</g></g>');
    x0 += Math.max(w, p.title.length * 9.6 + 20) + GAP; // the title (16px bold monospace) fits its panel
    height = Math.max(height, h + TITLE_H);
  }
  const width = Math.max(x0 - GAP, 1);
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="12">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker></defs>',
    ...body, '</svg>'].join('\n');
}

export function wrapHtml(title: string, svg: string): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:16px} .wrap{overflow:auto;border:1px solid #ccc}</style></head>
<body><h1>${esc(title)}</h1><div class="wrap">\n${svg}\n</div></body></html>\n`;
}

export function register(program: Command): void {
  program.command('viz')
    .description('draw the graph before and after optimization (ELK layered layout) as SVG or HTML')
    .argument('<model>', '.onnx or .layers model')
    .requiredOption('-o, --output <file>', 'graph.svg or graph.html')
    .option('-O, --opt-level <n>', 'optimization level of the right-hand panel (0: draw only the original)', '2')
    .option('--passes <list>', 'explicit comma-separated pass list for the right-hand panel (overrides -O)')
    .option('--force', 'replace an existing output')
    .option('--feature-maps', 'instead of the graph: PNG grid of the first layers\' activations for one input (README "Training")')
    .option('--checkpoint <ck>', 'with --feature-maps: trained weights (.safetensors)')
    .option('--image <k>', 'with --feature-maps: Fashion-MNIST test image index (default 0)')
    .option('--input <npy>', 'with --feature-maps: the input tensor instead of a test image')
    .addHelpText('after', '\nFused nodes are drawn as a cluster listing the base op and its epilogue steps.\n'
      + '\nExample:\n  layerc viz resnet.onnx -O2 -o resnet.html\n  layerc viz model.onnx --passes fold-constants,eliminate-dead-code -o cleanup.svg'
      + '\n  layerc viz examples/lenet_bn.layers --feature-maps --checkpoint lenet.safetensors --image 0 -o maps.png')
    .action(async (path: string, o: { output: string; optLevel: string; passes?: string; force?: boolean; featureMaps?: boolean; checkpoint?: string; image?: string; input?: string }) => {
      if (o.featureMaps) {
        const { writeFeatureMaps } = await import('./plot/feature-maps-command.ts');
        console.log(`wrote ${o.output} (rows: ${writeFeatureMaps(path, o).join(', ')})`);
        return;
      }
      const ext = extname(o.output).toLowerCase();
      if (ext !== '.svg' && ext !== '.html') throw lcError('LC006', [o.output, 'viz writes .svg or .html']);
      const level = parseLevel(String(o.optLevel));
      const passes = o.passes?.split(',').map((s) => s.trim()).filter(Boolean);
      const { loadModel } = await import('../frontend/load.ts'); // loaded on use (start-up of `--help`)
      const before = await loadModel(path);
      const panels = [{ title: `${basename(path)} (${before.nodes.length} nodes)`, graph: before }];
      if (passes || level > 0) {
        const { optimize } = await import('../../passes/index.ts');
        const after = optimize(await loadModel(path), passes ? { passes } : { level }).graph;
        panels.push({ title: `${passes ? passes.join(',') : `-O${level}`} (${after.nodes.length} nodes)`, graph: after });
      }
      const svg = await renderSvg(panels);
      writeFileAtomic(o.output, ext === '.svg' ? svg + '\n' : wrapHtml(`layerc viz ${path}`, svg), { force: o.force, inputs: [path] });
      console.log(`wrote ${o.output} (${panels.map((p) => p.title).join(' | ')})`);
    });
}
