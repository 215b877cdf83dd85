// ONNX ModelProto -> IR Graph. Decoding errors become LC010; the graph's nodes need not be sorted in the
// file, so they are ordered here by Kahn's algorithm (a leftover node means a cycle, LC015). Older op forms
// are upgraded to opset-18 IR forms (onnx-upgrade.ts). Constant nodes become initializers, so passes and
// backends see one kind of compile-time constant. Shapes are inferred at the end.
import onnx from 'onnx-proto';
import type { AttrValue, Dim, Graph as G, TensorType } from '../ir/graph.ts';
import { Graph, Node } from '../ir/graph.ts';
import { findOp, resolveAttrs } from '../ir/registry.ts';
import { inferShapes } from '../ir/infer.ts';
import { Tensor, type ByteSource } from '../ir/tensor.ts';
import { isLayercError, lcError, warn } from '../diagnostics.ts';
import { nodeBuiltin } from '../node-builtin.ts';
import { LITTLE_ENDIAN, dtypeFromOnnx, dtypeToOnnx, tensorFromProto, toNumber, usesExternalData } from '../io/tensorproto.ts';
import { expandCoerced2D, expandGroupNorm18, upgradeNode, type NamedRawNode } from './onnx-upgrade.ts';
import { checkModelOpset, checkOpVersion, MAX_OPSET } from './onnx-versions.ts';
import { inlineExternalData } from './onnx-external.ts';
import { checkTensorProto, checkValueDims, type ByteBudget } from './onnx-checks.ts';
import { checkShape, currentLimits, exceed, type Limits } from '../limits.ts';
import { prescanModel } from './onnx-wire.ts';
import { readHollow, type Hollow } from './onnx-hollow.ts';
import { LoadedFile } from '../io/file-bytes.ts';

/** Files from this size on are read by ./onnx-hollow.ts (below, one buffer costs little). */
const HOLLOW_MIN_FILE = 1 << 20;
/** Payloads from this size on are left in such a file until first needed (above the CSE pass's 4,096-element limit). */
const LEAVE_MIN = 1 << 16;
import { checkAttributeProto, checkIrVersion } from './onnx-strict.ts';
import '../ops/index.ts';
import { declaredOpset } from './declared-opset.ts';

const P = onnx.onnx;
const A = P.AttributeProto.AttributeType;

export interface ImportOptions {
  file?: string;
  /** Read ONNX external data from beside the model (default: refuse; env LAYERC_ALLOW_EXTERNAL_DATA=1). */
  allowExternalData?: boolean;
  /** Overrides of the resource limits (defaults and LAYERC_* env vars: src/limits.ts). */
  limits?: Partial<Limits>;
  /** The bytes are the importer's to change (loadOnnxFile read them): float32 weights become views of them, not copies. */
  adoptBytes?: boolean;
}

/** Per-import state for the checks that run before allocation; inFile: raw_data left in the model file (loadOnnxFile). */
interface Checked { opts: ImportOptions; limits: Limits; budget: ByteBudget; inFile?: Map<onnx.onnx.ITensorProto, ByteSource> }

export { declaredOpset }; // the default-domain opset the file declared (./declared-opset.ts)

/**
 * The one place a TensorProto becomes a Tensor: limits and data size checked first (onnx-checks.ts), external
 * data judged and inlined (onnx-external.ts), so tensorFromProto, which refuses external data itself, sees
 * inline bytes of the right size.
 */
function readTensor(t: onnx.onnx.ITensorProto, what: string, c: Checked): Tensor {
  let inFile = c.inFile?.get(t);
  const bytes = checkTensorProto(t, what, c.limits, c.budget, inFile?.byteLength);
  // raw_data left in the file: a float32 tensor reads it when first needed (src/ir/tensor.ts float32From); anything
  // else reads it now and goes the usual way.
  if (inFile && !(t.dataType === P.TensorProto.DataType.FLOAT && LITTLE_ENDIAN && !usesExternalData(t))) {
    t.rawData = new Uint8Array(inFile.byteLength);
    inFile.read(t.rawData, 0);
    inFile = undefined;
  }
  if (inFile) return tensorFromProto(t, what, c.limits, false, inFile);
  // External data comes from another file, where the bytes before a tensor's are another tensor's: copied.
  if (usesExternalData(t)) { inlineExternalData(t, what, bytes, c.opts); return tensorFromProto(t, what, c.limits); }
  return tensorFromProto(t, what, c.limits, !!c.opts.adoptBytes);
}

export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): G { return importParts(bytes, opts, null, bytes.length); }

/**
 * importOnnx of a file's bytes whose large initializer payloads were read apart or left in the file
 * (./onnx-hollow.ts), or of all of them.
 */
function importParts(bytes: Uint8Array, opts: ImportOptions, hollow: Pick<Hollow, 'payloads' | 'left'> | null, fileBytes: number): G {
  const file = opts.file;
  try {
    const limits = currentLimits(opts.limits);
    if (fileBytes > limits.maxFileBytes) exceed(`the model file has ${fileBytes} bytes`, 'maxFileBytes', limits);
    prescanModel(bytes, limits); // counts and wire types before protobufjs builds a single object
    const m = decodeModel(bytes);
    const initializer = (i: number) => {
      const t = m.graph!.initializer?.[i];
      if (!t) throw lcError('LC010', [`initializer ${i} is missing`]);
      return t;
    };
    for (const [i, raw] of hollow?.payloads ?? []) initializer(i).rawData = raw;
    const inFile = new Map([...hollow?.left ?? []].map(([i, src]) => [initializer(i), src]));
    return build(m, { opts, limits, budget: { fileBytes, used: 0 }, inFile });
  } catch (e) {
    if (isLayercError(e)) throw e.within({ file });
    // A malformed field the checks above missed: still one clear error, tagged so tests can find such gaps.
    throw lcError('LC010', [`unexpected structure (${(e as Error).message})`], { file });
  }
}

function decodeModel(bytes: Uint8Array): onnx.onnx.ModelProto {
  let m: onnx.onnx.ModelProto;
  try { m = P.ModelProto.decode(bytes); } catch (e) { throw lcError('LC010', [`protobuf decoding failed (${(e as Error).message})`]); }
  if (!m.graph) throw lcError('LC010', ['the model has no graph']);
  return m;
}

function build(m: onnx.onnx.ModelProto, c: Checked): G {
  const opts = c.opts;
  checkIrVersion(toNumber(m.irVersion ?? 0));
  const opsets = new Map<string, number>();
  // A later entry for the same domain wins, as in onnxruntime.
  for (const o of m.opsetImport ?? []) opsets.set(o.domain === 'ai.onnx' ? '' : o.domain ?? '', toNumber(o.version));
  // No opset_import at all: onnxruntime refuses the model. Other domains only: onnxruntime reads the default
  // domain at its newest opset, and so does layerc (never opset 1, whose Softmax means something else).
  if (!opsets.size) throw lcError('LC016', ['(none)', 'ai.onnx', 'an opset_import entry; the model has none']);
  const opset = opsets.get('') ?? MAX_OPSET;
  if (!opsets.has('')) warn(`the model imports no default-domain (ai.onnx) opset; its standard ops are read at opset ${MAX_OPSET}, the newest layerc knows (onnxruntime also takes its newest)`, { file: opts.file });
  checkModelOpset(opset); // each node's op version is checked below (onnx-versions.ts)
  const gp = m.graph!;
  if ((gp.node?.length ?? 0) > c.limits.maxNodes) exceed(`the graph has ${gp.node!.length} nodes`, 'maxNodes', c.limits);
  const g = new Graph(gp.name || 'main');
  g.source = opts.file;
  declaredOpset.set(g, opset);
  const fresh = { n: 0 };

  for (const t of gp.initializer ?? []) {
    if (!t.name) throw lcError('LC010', ['an initializer has no name']);
    const tensor = readTensor(t, t.name, c);
    const v = g.registerValue(t.name, { dtype: tensor.dtype, shape: [...tensor.shape] });
    g.markInitializer(v, tensor);
  }
  for (const vi of gp.input ?? []) {
    if (g.value(vi.name!)?.isConst) continue; // IR<4: initializers also listed as inputs
    g.addInput(vi.name!, typeOf(vi, fresh, c.limits));
  }
  const addConst = (base: string, t: Tensor) => g.addConst(base, t).name;

  const raw = (gp.node ?? []).flatMap((np, idx) => {
    const domain = np.domain === 'ai.onnx' ? '' : np.domain ?? '';
    const name = np.name || `${(np.opType ?? 'node').toLowerCase()}_${idx}`;
    const ver = opsets.get(domain);
    const ctx = { node: name, op: np.opType ?? '' };
    if (ver === undefined && domain !== '') throw lcError('LC016', ['(none)', domain, 'an opset_import entry for every domain a node uses'], ctx);
    const def = findOp(np.opType ?? '', domain);
    if (!def) throw lcError('LC011', [np.opType ?? '', domain || 'ai.onnx', ver ?? opset], ctx);
    if (domain === '') checkOpVersion(def.name, ver ?? opset, ctx);
    const attrs: Record<string, AttrValue> = {};
    for (const a of np.attribute ?? []) {
      if (Object.hasOwn(attrs, a.name ?? '')) throw lcError('LC030', [a.name ?? '', 'appears more than once'], ctx);
      checkAttributeProto(a, def, ctx, domain === '' ? ver ?? opset : Infinity);
      attrs[a.name!] = attrValue(a, name, c);
    }
    const r: NamedRawNode = { op: np.opType!, inputs: [...(np.input ?? [])], attrs, name, outputs: [...(np.output ?? [])], domain };
    if (domain === '') {
      try { upgradeNode(r, ver ?? opset, addConst); } catch (e) { throw isLayercError(e) ? e.within(ctx) : e; }
    }
    return expandCoerced2D(r, ver ?? opset).flatMap((m) => expandGroupNorm18(m, ver ?? opset, addConst));
  });

  for (const r of sortNodes(raw, g)) {
    if (r.op === 'Constant' && r.domain === '' && r.outputs.length === 1) {
      const def = findOp('Constant')!;
      const node = new Node(r.name, 'Constant', '', r.attrs);
      let t: Tensor;
      try { [t] = def.evalRef([], { node, graph: g, attrs: resolveAttrs(node, def) } as never); } catch (e) { throw isLayercError(e) ? e.within({ node: r.name, op: r.op }) : e; }
      g.markInitializer(g.registerValue(r.outputs[0], { dtype: t.dtype, shape: [...t.shape] }), t);
      continue;
    }
    const ins = r.inputs.map((n) => (n === '' ? null : g.value(n)!));
    // '' marks an omitted optional input; the first `min` inputs of an op are required (ONNX schemas order them so).
    const required = findOp(r.op, r.domain)?.inputs[0] ?? 0;
    const missing = ins.slice(0, required).findIndex((v) => v === null);
    if (missing >= 0) throw lcError('LC031', [`input ${missing} of ${r.op} is required but empty`], { node: r.name, op: r.op });
    try {
      g.addNode(r.op, ins, r.attrs, { name: r.name, domain: r.domain, outputNames: r.outputs.map((o) => o || g.uniqueName(`${r.name}_unused`)) });
    } catch (e) { throw isLayercError(e) ? e.within({ node: r.name, op: r.op }) : e; }
  }
  for (const vi of gp.output ?? []) {
    const v = g.value(vi.name!);
    if (!v) throw lcError('LC014', [vi.name!], { op: 'graph output' });
    g.outputs.push(v);
  }
  inferShapes(g);
  checkInferredShapes(g, c.limits);
  checkDeclaredOutputTypes(gp.output ?? [], g);
  // value_info only fills what inference could not derive (it is advisory in ONNX and often stale).
  for (const vi of gp.valueInfo ?? []) {
    const v = vi.name ? g.value(vi.name) : undefined;
    if (v && v.type.shape === null && vi.type?.tensorType) v.type = typeOf(vi, fresh, c.limits);
  }
  return g;
}

/** A value's inferred static shape is what a backend will allocate: hold it to the same limits as the file's tensors. */
function checkInferredShapes(g: G, limits: Limits): void {
  for (const n of g.nodes) {
    for (const v of n.outputs) {
      const s = v.type.shape;
      if (!s || !s.every((d): d is number => typeof d === 'number')) continue;
      try { checkShape(s, `value ${v.name}`, limits); } catch (e) { throw isLayercError(e) ? e.within({ node: n.name, op: n.op }) : e; }
    }
  }
}

/** A graph output's declared element type must be the one its producer makes (onnxruntime: "Type Error"). */
function checkDeclaredOutputTypes(outputs: onnx.onnx.IValueInfoProto[], g: G): void {
  for (const vi of outputs) {
    const tt = vi.type?.tensorType;
    const v = g.value(vi.name!);
    if (!tt || !v?.producer) continue; // a graph input passed through is checked as an input
    const declared = tt.elemType ?? 0;
    if (declared !== dtypeToOnnx(v.type.dtype)) {
      const name = (onnx.onnx.TensorProto.DataType as Record<number, string>)[declared] ?? String(declared);
      throw lcError('LC033', [`graph output '${vi.name}' is declared ${name} but node '${v.producer.name}' (${v.producer.op}) makes ${v.type.dtype}`],
        { node: v.producer.name, op: v.producer.op });
    }
  }
}

/** Kahn's algorithm over value names; names not produced by a node must already exist in the graph. */
function sortNodes<N extends { name: string; op: string; inputs: string[]; outputs: string[] }>(nodes: N[], g: G): N[] {
  // Every value has one definition (graph input, initializer or one node output): `Relu(x) -> x` redefines x.
  const producer = new Map<string, N>();
  for (const n of nodes) {
    for (const o of n.outputs) {
      if (!o) continue;
      const first = producer.get(o);
      const ctx = { node: n.name, op: n.op };
      if (first) throw lcError('LC034', [`value '${o}' is defined more than once: an output of node '${first.name}' (${first.op}) and of node '${n.name}' (${n.op})`], ctx);
      if (g.value(o)) throw lcError('LC034', [`value '${o}' is defined more than once: a graph ${g.value(o)!.isConst ? 'initializer' : 'input'} and an output of node '${n.name}' (${n.op})`], ctx);
      if (n.inputs.includes(o)) throw lcError('LC015', [`node '${n.name}' (${n.op}), which reads its own output '${o}'`], ctx);
      producer.set(o, n);
    }
  }
  const pending = new Map<N, number>();
  const users = new Map<N, N[]>();
  for (const n of nodes) {
    let deps = 0;
    for (const i of n.inputs) {
      if (i === '') continue;
      const p = producer.get(i);
      if (p) { deps++; (users.get(p) ?? users.set(p, []).get(p)!).push(n); }
      else if (!g.value(i)) throw lcError('LC014', [i], { node: n.name, op: n.op });
    }
    pending.set(n, deps);
  }
  const ready = nodes.filter((n) => pending.get(n) === 0);
  const out: N[] = [];
  while (ready.length) {
    const n = ready.shift()!;
    out.push(n);
    for (const u of users.get(n) ?? []) { const d = pending.get(u)! - 1; pending.set(u, d); if (d === 0) ready.push(u); }
  }
  if (out.length < nodes.length) {
    const stuck = nodes.find((n) => pending.get(n)! > 0)!;
    throw lcError('LC015', [`node '${stuck.name}' (${stuck.op})`], { node: stuck.name, op: stuck.op });
  }
  return out;
}

function typeOf(vi: onnx.onnx.IValueInfoProto, fresh: { n: number }, limits: Limits): TensorType {
  const tt = vi.type?.tensorType;
  if (!tt) throw lcError('LC012', [`non-tensor type of ${vi.name}`]);
  const dtype = dtypeFromOnnx(tt.elemType ?? 0, vi.name ?? '');
  const shape: Dim[] | null = tt.shape
    ? (tt.shape.dim ?? []).map((d): Dim => (d.dimParam ? d.dimParam : (d as { value?: string }).value === 'dimValue' ? toNumber(d.dimValue) : `unk_${fresh.n++}`))
    : null;
  if (shape) checkValueDims(shape.filter((d): d is number => typeof d === 'number'), `value ${vi.name}`, limits);
  return { dtype, shape };
}

function attrValue(a: onnx.onnx.IAttributeProto, node: string, c: Checked): AttrValue {
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  switch (a.type) {
    case A.INT: return toNumber(a.i);
    case A.FLOAT: return a.f ?? 0;
    case A.STRING: return dec(a.s ?? new Uint8Array());
    case A.INTS: return (a.ints ?? []).map(toNumber);
    case A.FLOATS: return [...(a.floats ?? [])];
    case A.STRINGS: return (a.strings ?? []).map(dec);
    case A.TENSOR:
      if (!a.t) throw lcError('LC030', [a.name ?? '', 'attribute of type TENSOR holds no tensor'], { node });
      return readTensor(a.t, `${node}.${a.name}`, c);
    default: throw lcError('LC030', [a.name ?? '', `attribute type ${A[a.type ?? 0] ?? a.type} is not supported`], { node });
  }
}

/** Reads and imports an .onnx file (read errors are LC003). */
export function loadOnnxFile(path: string, opts: Omit<ImportOptions, 'file'> = {}): G {
  let bytes: Uint8Array | undefined, hollow: Hollow | null = null, size = 0;
  const fs = nodeBuiltin?.('node:fs');
  if (!fs) throw lcError('LC003', [path, 'reading a file by path needs Node.js (in a browser, pass the model\'s bytes)']);
  try {
    const fd = fs.openSync(path, 'r');
    let kept = false;
    try {
      const stat = fs.fstatSync(fd);
      size = stat.size;
      // A large file: its weights read into arrays of their own, not into one fresh buffer, or left in the file until
      // first needed, the descriptor kept for that (./onnx-hollow.ts, ../io/file-bytes.ts).
      if (size >= HOLLOW_MIN_FILE && size <= currentLimits(opts.limits).maxFileBytes) {
        const file = new LoadedFile(fs, path, stat);
        hollow = readHollow(fs, fd, size, (n) => nodeBuiltin!('node:buffer').Buffer.allocUnsafeSlow(n), (pos, n) => (n >= LEAVE_MIN ? file.range(pos, n) : null));
        if (hollow?.left.size) { file.adopt(fd); kept = true; }
      }
      if (!hollow) bytes = fs.readFileSync(fd);
    } finally { if (!kept) fs.closeSync(fd); }
  } catch (e) { throw lcError('LC003', [path, (e as NodeJS.ErrnoException).code ?? (e as Error).message]); }
  const o = { ...opts, file: path, adoptBytes: true };
  return hollow ? importParts(hollow.compact, o, hollow, size) : importOnnx(bytes!, o);
}
