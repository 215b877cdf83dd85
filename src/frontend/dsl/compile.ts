// AST -> IR. Evaluates the model body statement by statement: names bind tensors or hyperparameter
// values, layer calls go through the layer table (layers.ts), block calls evaluate the block's body in a
// fresh scope (its layers are named `<block instance>.<layer>`). Shapes are inferred as nodes are added.
import { Graph, type Value } from '../../ir/graph.ts';
import { lcError, suggest, type SourceSpan } from '../../diagnostics.ts';
import type * as A from './ast.ts';
import { spanAt } from './span.ts';
import { COMMON_PARAMS, DEFAULTED_ARGS, LAYERS, type ArgValue, type Args, type LayerDef, type ParamSpec } from './layers.ts';
import { LayerBuilder, type PendingParam } from './builder.ts';
import type { DType } from '../../ir/dtype.ts';
import { checkShape, currentLimits, exceed, type Limits } from '../../limits.ts';
import { LayercError } from '../../diagnostics.ts';

type Val = { kind: 'tensor'; v: Value } | { kind: 'lit'; value: ArgValue };
interface Scope { vars: Map<string, { val: Val; pos: A.Pos }>; prefix: string; counters: Map<string, number> }

const DTYPES: Record<string, DType> = { f32: 'float32', f64: 'float64', i64: 'int64', i32: 'int32' };

export class DslCompiler {
  readonly graph: Graph;
  readonly pending: PendingParam[] = [];
  /** The names of layers, for "first bound at" / uniqueness checks of explicit names. */
  private blocks = new Map<string, A.BlockDecl>();
  private callStack: string[] = [];
  private bound = new Set<Value>();
  private readonly limits: Limits = currentLimits();

  constructor(private readonly source: string, private readonly file: string, private readonly program: A.Program) {
    this.graph = new Graph();
    this.graph.source = file;
  }

  span(pos: A.Pos): SourceSpan { return spanAt(this.source, this.file, pos.offset, pos.length); }
  err(code: Parameters<typeof lcError>[0], args: (string | number)[], pos: A.Pos) {
    return lcError(code, args, { span: this.span(pos), file: this.file });
  }

  compile(): Graph {
    let model: A.ModelDecl | undefined;
    for (const d of this.program.decls) {
      if (d.kind === 'model') {
        if (model) throw this.err('LC050', [`a file holds one model; '${d.name}' is the second one`], d.pos);
        model = d;
      } else {
        if (this.blocks.has(d.name)) throw this.err('LC046', [d.name, this.span(this.blocks.get(d.name)!.pos).line], d.pos);
        if (LAYERS[d.name]) throw this.err('LC050', [`block '${d.name}' has the name of a built-in layer`], d.pos);
        this.blocks.set(d.name, d);
      }
    }
    if (!model) throw lcError('LC050', ['no `model` declaration'], { file: this.file, span: spanAt(this.source, this.file, 0, 1) });
    this.graph.name = model.name;
    const scope: Scope = { vars: new Map(), prefix: '', counters: new Map() };
    for (const p of model.inputs) {
      if (scope.vars.has(p.name)) throw this.err('LC046', [p.name, this.span(scope.vars.get(p.name)!.pos).line], p.pos);
      const dtype = DTYPES[p.dtype];
      if (!dtype) throw this.err('LC050', [`unsupported input type ${p.dtype}`], p.pos);
      this.checkInputDims(p);
      const v = this.graph.addInput(p.name, { dtype, shape: [...p.dims] });
      scope.vars.set(p.name, { val: { kind: 'tensor', v }, pos: p.pos });
    }
    const outs = this.body(model.body, scope, model.pos);
    for (const o of outs) {
      const v = this.tensor(o.val, o.pos, 'return value');
      if (!this.graph.outputs.includes(v)) { this.graph.outputs.push(v); continue; }
      // `return a, a`: graph outputs need distinct names (ONNX), so the repeat is an Identity of the first.
      const copy = this.graph.addNode('Identity', [v], {}, { name: this.graph.uniqueName(`${v.name}_copy`), span: this.span(o.pos) }).outputs[0];
      copy.type = { ...v.type };
      this.graph.outputs.push(copy);
    }
    return this.graph;
  }

  /** Input types are checked like ONNX ones: rank and each fixed dim within the limits, no zero dims. */
  private checkInputDims(p: A.InputParam): void {
    this.withSpan(p.pos, () => {
      if (p.dims.length > this.limits.maxRank) exceed(`input ${p.name} has rank ${p.dims.length}`, 'maxRank', this.limits);
      for (const d of p.dims) {
        if (typeof d !== 'number') continue;
        if (!Number.isSafeInteger(d) || d === 0) throw this.err('LC050', [`input ${p.name} has dimension ${d}; fixed dimensions must be positive integers`], p.pos);
        if (d > this.limits.maxDim) exceed(`input ${p.name} has dimension ${d}`, 'maxDim', this.limits);
      }
    });
  }

  /** Runs `f`; a LayercError without a location gets this DSL position. */
  private withSpan<T>(pos: A.Pos, f: () => T): T {
    try { return f(); } catch (e) { throw e instanceof LayercError ? e.within({ span: this.span(pos), file: this.file }) : e; }
  }

  /** Runs statements; returns the values of `return` (required, last). */
  private body(stmts: A.Stmt[], scope: Scope, declPos: A.Pos): { val: Val; pos: A.Pos }[] {
    for (const [i, s] of stmts.entries()) {
      if (s.kind === 'bind') {
        const prev = scope.vars.get(s.name);
        if (prev) throw this.err('LC046', [s.name, this.span(prev.pos).line], s.pos);
        const val = this.expr(s.value, scope);
        if (val.kind === 'tensor') this.nameAfterBinding(val.v, scope.prefix + s.name);
        scope.vars.set(s.name, { val, pos: s.pos });
      } else {
        if (i !== stmts.length - 1) throw this.err('LC050', ['statements after `return` are unreachable'], stmts[i + 1].pos);
        return s.values.map((e) => ({ val: this.expr(e, scope), pos: e.pos }));
      }
    }
    throw this.err('LC050', ['missing `return` at the end of the body'], declPos);
  }

  /** `y = x |> conv2d(...)` names the conv's output value `y` (once: `z = y` does not rename it again). */
  private nameAfterBinding(v: Value, name: string): void {
    if (!v.producer || this.bound.has(v) || this.graph.value(name)) return;
    this.bound.add(v);
    this.graph.rename(v, name);
  }

  private tensor(val: Val, pos: A.Pos, what: string): Value {
    if (val.kind !== 'tensor') throw this.err('LC052', [what, 'number/string/bool', 'tensor'], pos);
    return val.v;
  }

  private expr(e: A.Expr, scope: Scope): Val {
    switch (e.kind) {
      case 'num': case 'str': case 'bool': return { kind: 'lit', value: e.value };
      case 'name': {
        const b = scope.vars.get(e.name);
        if (b) return b.val;
        const hint = LAYERS[e.name] || this.blocks.has(e.name) ? ` ('${e.name}' is a layer: apply it with x |> ${e.name} or ${e.name}(x))` : didYouMean(e.name, [...scope.vars.keys()]);
        throw this.err('LC045', [`'${e.name}'`, hint], e.pos);
      }
      case 'add': {
        const l = this.tensor(this.expr(e.left, scope), e.left.pos, `the left side of '+'`);
        const r = this.tensor(this.expr(e.right, scope), e.right.pos, `the right side of '+'`);
        return { kind: 'tensor', v: this.addNode(l, r, e.pos, scope) };
      }
      case 'pipe': {
        const input = this.expr(e.input, scope);
        return this.call(e.stage, scope, { val: input, pos: e.input.pos });
      }
      case 'call': return this.call(e, scope);
    }
  }

  private addNode(l: Value, r: Value, pos: A.Pos, scope: Scope): Value {
    const b = this.builder('add', 'add', pos, scope, true);
    const [ls, rs] = [b.shape(l), b.shape(r)];
    const n = Math.max(ls.length, rs.length);
    for (let i = 1; i <= n; i++) {
      const [a, c] = [ls[ls.length - i] ?? 1, rs[rs.length - i] ?? 1];
      if (a !== c && a !== 1 && c !== 1 && typeof a === 'number' && typeof c === 'number') {
        throw b.fail(`cannot broadcast ${fmt(ls)} with ${fmt(rs)}: dimension ${n - i} is ${a} vs ${c}`);
      }
    }
    return b.node('Add', [l, r]);
  }

  private builder(stem: string, layer: string, pos: A.Pos, scope: Scope, trainable: boolean, name?: string): LayerBuilder {
    let full: string;
    if (name) full = scope.prefix + name;
    else {
      const k = (scope.counters.get(stem) ?? 0) + 1;
      scope.counters.set(stem, k);
      full = `${scope.prefix}${stem}${k}`;
    }
    return new LayerBuilder(this.graph, full, layer, this.span(pos), this.pending, trainable);
  }

  private call(c: A.CallExpr, scope: Scope, piped?: { val: Val; pos: A.Pos }): Val {
    const layer = LAYERS[c.callee];
    if (layer) return { kind: 'tensor', v: this.layerCall(c, layer, scope, piped) };
    const block = this.blocks.get(c.callee);
    if (block) return this.blockCall(c, block, scope, piped);
    if (scope.vars.has(c.callee)) throw this.err('LC052', [`'${c.callee}'`, 'value', 'layer or block'], c.calleePos);
    throw this.err('LC041', [`'${c.callee}'`, didYouMean(c.callee, [...Object.keys(LAYERS), ...this.blocks.keys()])], c.calleePos);
  }

  private layerCall(c: A.CallExpr, layer: LayerDef, scope: Scope, piped?: { val: Val; pos: A.Pos }): Value {
    const evald = c.args.map((a) => ({ arg: a, val: this.expr(a.value, scope) }));
    // Tensor inputs: the piped value, then leading positional tensors (f(x) == x |> f).
    const tensors: Value[] = [];
    if (piped) tensors.push(this.tensor(piped.val, piped.pos, `the input of ${c.callee}`));
    let rest = evald;
    while (rest.length && !rest[0].arg.name && rest[0].val.kind === 'tensor' && (layer.variadic || tensors.length === 0)) {
      tensors.push((rest[0].val as { v: Value }).v);
      rest = rest.slice(1);
    }
    if (tensors.length === 0) throw this.err('LC052', [`'${c.callee}'`, 'layer without an input', `call with a tensor: x |> ${c.callee}(...) or ${c.callee}(x, ...)`], c.calleePos);
    if (layer.variadic && tensors.length < 2 && !piped) throw this.err('LC044', [`'second tensor'`, c.callee], c.pos);
    const args = this.bindArgs(c, [...layer.params, ...COMMON_PARAMS], rest.map((r) => ({ arg: r.arg, val: r.val })), layer.params.length);
    const name = args.name as string;
    const b = this.builder(layer.prefix, c.callee, c.calleePos, scope, args.trainable as boolean, name || undefined);
    if (name && this.graph.value(b.name)) throw this.err('LC043', [`'name'`, c.callee, `"${name}" is already used by another layer`], c.pos);
    const out = layer.build(b, tensors, args);
    // Output shapes are what a backend allocates: a huge input dim must fail here, at the layer, not at run time.
    for (const v of b.nodes.flatMap((n) => n.outputs)) {
      const s = v.type.shape;
      if (s && s.every((d): d is number => typeof d === 'number')) this.withSpan(c.calleePos, () => checkShape(s, `the output of ${c.callee}`, this.limits));
    }
    if (this.graph.nodes.length > this.limits.maxNodes) this.withSpan(c.calleePos, () => exceed(`the graph has ${this.graph.nodes.length} nodes`, 'maxNodes', this.limits));
    return out;
  }

  /** Matches positional/keyword arguments to parameter specs, applies defaults, checks types. */
  private bindArgs(c: A.CallExpr, specs: ParamSpec[], args: { arg: A.Arg; val: Val }[], positional: number): Args {
    const out: Args = {};
    const seen = new Set<string>();
    let p = 0;
    for (const { arg, val } of args) {
      let spec: ParamSpec | undefined;
      if (arg.name) {
        spec = specs.find((s) => s.name === arg.name);
        if (!spec) throw this.err('LC042', [`'${arg.name}'`, c.callee, didYouMean(arg.name, specs.map((s) => s.name))], arg.pos);
      } else {
        if (p >= positional) throw this.err('LC049', [c.callee, positional, args.filter((a) => !a.arg.name).length], arg.pos);
        spec = specs[p++];
      }
      if (seen.has(spec.name)) throw this.err('LC043', [`'${spec.name}'`, c.callee, 'is given twice'], arg.pos);
      seen.add(spec.name);
      out[spec.name] = this.checkType(val, spec, c.callee, arg.value.pos);
    }
    const defaulted = new Set<string>();
    for (const s of specs) {
      if (s.name in out) continue;
      if (s.default === undefined) throw this.err('LC044', [`'${s.name}'`, c.callee], c.pos);
      out[s.name] = typeof s.default === 'function' ? s.default(out) : s.default;
      defaulted.add(s.name);
    }
    DEFAULTED_ARGS.set(out, defaulted);
    return out;
  }

  private checkType(val: Val, spec: ParamSpec, callee: string, pos: A.Pos): ArgValue {
    const bad = (want: string) => this.err('LC043', [`'${spec.name}'`, callee, `must be ${want}, got ${val.kind === 'tensor' ? 'a tensor' : typeof val.value === 'number' ? String(val.value) : JSON.stringify(val.value)}`], pos);
    if (val.kind === 'tensor') throw bad(describe(spec.type));
    const v = val.value;
    switch (spec.type) {
      case 'int':
        if (typeof v !== 'number' || !Number.isInteger(v)) throw bad('an integer');
        if (spec.name === 'axis') {
          // An axis indexes a rank: |axis| < maxRank (ONNX writes it as an int64, layerc's ranks are small).
          if (Math.abs(v) >= this.limits.maxRank) throw bad(`an axis between ${-this.limits.maxRank} and ${this.limits.maxRank - 1}`);
          return v;
        }
        if (v < 0 || (v === 0 && spec.name !== 'pad' && spec.name !== 'output_pad')) throw bad('a positive integer');
        // Sizes, strides and pads become dims and int64 attributes: beyond maxDim they overflow (1e20, 1e308).
        if (v > this.limits.maxDim) throw bad(`an integer at most ${this.limits.maxDim} (LAYERC_MAX_DIM)`);
        return v;
      case 'float': if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('a finite number'); return v;
      case 'bool': if (typeof v !== 'boolean') throw bad('true or false'); return v;
      case 'string': if (typeof v !== 'string') throw bad('a string'); return v;
      case 'pad':
        if (v === 'same') return v;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw bad('a non-negative integer or "same"');
        if (v > this.limits.maxDim) throw bad(`at most ${this.limits.maxDim} (LAYERC_MAX_DIM) or "same"`);
        return v;
    }
  }

  private blockCall(c: A.CallExpr, block: A.BlockDecl, scope: Scope, piped?: { val: Val; pos: A.Pos }): Val {
    if (this.callStack.length >= this.limits.maxBlockDepth) {
      const chain = [...this.callStack.slice(0, 3), '...', block.name].join(' -> ');
      this.withSpan(c.calleePos, () => exceed(`block calls nest deeper than ${this.limits.maxBlockDepth} (${chain})`, 'maxBlockDepth', this.limits));
    }
    if (this.callStack.includes(block.name)) throw this.err('LC047', [`'${block.name}'`, [...this.callStack, block.name].join(' -> ')], c.calleePos);
    const given: { name?: string; val: Val; pos: A.Pos }[] = [];
    if (piped) given.push({ val: piped.val, pos: piped.pos });
    for (const a of c.args) given.push({ name: a.name, val: this.expr(a.value, scope), pos: a.pos });
    const vars = new Map<string, { val: Val; pos: A.Pos }>();
    let p = 0;
    let instanceName: string | undefined;
    for (const g of given) {
      if (g.name === 'name') {
        if (g.val.kind !== 'lit' || typeof g.val.value !== 'string') throw this.err('LC043', [`'name'`, c.callee, 'must be a string'], g.pos);
        instanceName = g.val.value;
        continue;
      }
      let param: A.BlockParam | undefined;
      if (g.name) {
        param = block.params.find((q) => q.name === g.name);
        if (!param) throw this.err('LC042', [`'${g.name}'`, c.callee, didYouMean(g.name, block.params.map((q) => q.name))], g.pos);
      } else {
        if (p >= block.params.length) throw this.err('LC049', [c.callee, block.params.length, given.filter((x) => !x.name).length], g.pos);
        param = block.params[p++];
      }
      if (vars.has(param.name)) throw this.err('LC043', [`'${param.name}'`, c.callee, 'is given twice'], g.pos);
      vars.set(param.name, { val: g.val, pos: param.pos });
    }
    for (const q of block.params) {
      if (vars.has(q.name)) continue;
      if (!q.default) throw this.err('LC044', [`'${q.name}'`, c.callee], c.pos);
      vars.set(q.name, { val: { kind: 'lit', value: q.default.value }, pos: q.pos });
    }
    let prefix: string;
    if (instanceName) prefix = `${scope.prefix}${instanceName}.`;
    else {
      const k = (scope.counters.get(block.name) ?? 0) + 1;
      scope.counters.set(block.name, k);
      prefix = `${scope.prefix}${block.name}${k}.`;
    }
    this.callStack.push(block.name);
    try {
      const outs = this.body(block.body, { vars, prefix, counters: new Map() }, block.pos);
      if (outs.length !== 1) throw this.err('LC050', [`block '${block.name}' returns ${outs.length} values; only a model may return several`], c.pos);
      return outs[0].val;
    } finally {
      this.callStack.pop();
    }
  }
}

function didYouMean(word: string, candidates: string[]): string {
  const s = suggest(word, candidates);
  return s ? ` (did you mean '${s}'?)` : '';
}
function describe(t: string): string { return t === 'pad' ? 'an integer or "same"' : t === 'bool' ? 'true or false' : `a ${t}`; }
function fmt(s: (number | string)[]): string { return `[${s.join(', ')}]`; }
