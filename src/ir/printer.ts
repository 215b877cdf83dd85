// A stable text form of a graph: used by `layerc inspect` and by before/expected tests.
import type { AttrValue, Graph, TensorType, Value } from './graph.ts';
import { Tensor } from './tensor.ts';

export function typeToString(t: TensorType): string {
  return `${t.dtype}${t.shape ? `[${t.shape.join(', ')}]` : '[?]'}`;
}

function attrToString(v: AttrValue): string {
  if (v instanceof Tensor) return `tensor<${v.dtype}[${v.shape.join(',')}]>`;
  if (typeof v === 'object' && v !== null && 'nodes' in (v as object)) return 'graph';
  if (typeof v === 'number') return fmtNum(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${(v as unknown[]).map((x) => (typeof x === 'number' ? fmtNum(x) : JSON.stringify(x))).join(', ')}]`;
  return JSON.stringify(v);
}

function fmtNum(x: number): string { return Number.isInteger(x) ? String(x) : String(Math.fround(x) === x ? +x.toPrecision(7) : x); }

export interface PrintOptions {
  /** Omit types (structure-only comparisons). */
  types?: boolean;
  /** Append each node's source position (`@ file:line:column`, DSL models) — `layerc inspect --graph`. */
  spans?: boolean;
}

export function printGraph(g: Graph, opts: PrintOptions = {}): string {
  const types = opts.types ?? true;
  const v = (x: Value | null) => (x ? `%${x.name}` : '_');
  const decl = (x: Value) => (types ? `%${x.name}: ${typeToString(x.type)}` : `%${x.name}`);
  const lines = [`graph ${g.name}(${g.inputs.map(decl).join(', ')}) -> (${g.outputs.map(v).join(', ')})`];
  for (const c of g.initializers) lines.push(`  const ${decl(c)}${c.role ? ` role=${c.role}` : ''}${c.trainable === false ? ' frozen' : ''}`);
  for (const n of g.nodes) {
    const attrs = Object.keys(n.attrs).sort().map((k) => `${k}=${attrToString(n.attrs[k])}`);
    const op = n.domain ? `${n.domain}::${n.op}` : n.op;
    const at = opts.spans && n.span ? `  @ ${n.span.file ? `${n.span.file}:` : ''}${n.span.line}:${n.span.column}` : '';
    lines.push(`  ${n.outputs.map(decl).join(', ')} = ${op}(${n.inputs.map(v).join(', ')})${attrs.length ? ` {${attrs.join(', ')}}` : ''}  # ${n.name}${at}`);
  }
  return lines.join('\n');
}
