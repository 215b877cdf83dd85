// Source text -> AST with ohm. The grammar (grammar/layers.ohm) holds no actions; the `ast` operation
// below builds the tree. Syntax errors become LC040 with ohm's expected-token list, cleaned up.
import grammar, { type LayersSemantics } from '../../../grammar/layers.ohm-bundle.js';
import type { Node as OhmNode } from 'ohm-js';
import type * as A from './ast.ts';
import { lcError } from '../../diagnostics.ts';
import { spanAt } from './span.ts';

declare module 'ohm-js' {
  interface Node { ast(): any } // eslint-disable-line @typescript-eslint/no-explicit-any
}

const semantics: LayersSemantics = grammar.createSemantics();

function pos(n: OhmNode): A.Pos {
  return { offset: n.source.startIdx, length: n.source.endIdx - n.source.startIdx };
}

semantics.addOperation<unknown>('ast', {
  Program(decls) { return { decls: decls.children.map((d) => d.ast()) }; },
  ModelDecl(_m, name, _o, params, _c, body) {
    return { kind: 'model', name: name.sourceString, inputs: params.asIteration().children.map((p) => p.ast()), body: body.ast(), pos: pos(name) };
  },
  BlockDecl(_b, name, _o, params, _c, body) {
    return { kind: 'block', name: name.sourceString, params: params.asIteration().children.map((p) => p.ast()), body: body.ast(), pos: pos(name) };
  },
  InputParam(name, _c, type) { return { name: name.sourceString, ...type.ast(), pos: pos(name) }; },
  TensorType(dtype, _o, dims, _c) { return { dtype: dtype.sourceString, dims: dims.asIteration().children.map((d) => d.ast()) }; },
  DimSpec_fixed(n) { return Number(n.sourceString); },
  DimSpec_symbol(s) { return s.sourceString; },
  Param_default(name, _e, lit) { return { name: name.sourceString, default: lit.ast(), pos: pos(name) }; },
  Param_required(name) { return { name: name.sourceString, pos: pos(name) }; },
  Body(_o, stmts, _c) { return stmts.children.map((s) => s.ast()); },
  Stmt_return(_r, values) { return { kind: 'return', values: values.asIteration().children.map((v) => v.ast()), pos: pos(this) }; },
  Stmt_bind(name, _e, value) { return { kind: 'bind', name: name.sourceString, value: value.ast(), pos: pos(name) }; },
  Expr_pipe(input, _p, stage) { return { kind: 'pipe', input: input.ast(), stage: stage.ast(), pos: pos(stage) }; },
  Sum_add(left, _p, right) { return { kind: 'add', left: left.ast(), right: right.ast(), pos: pos(this) }; },
  Primary_call(callee, _o, args, _c) { return call(this, callee, args); },
  Primary_name(name) { return { kind: 'name', name: name.sourceString, pos: pos(name) }; },
  Primary_paren(_o, e, _c) { return e.ast(); },
  Stage_call(callee, _o, args, _c) { return call(this, callee, args); },
  Stage_bare(callee) { return { kind: 'call', callee: callee.sourceString, args: [], pos: pos(callee), calleePos: pos(callee) }; },
  Arg_keyword(name, _e, value) { return { name: name.sourceString, value: value.ast(), pos: pos(this) }; },
  Arg_positional(value) { return { value: value.ast(), pos: pos(this) }; },
  number(_s, _i, _d, _f, _e, _es, _ed) { return { kind: 'num', value: Number(this.sourceString), pos: pos(this) }; },
  string(_o, chars, _c) { return { kind: 'str', value: chars.sourceString, pos: pos(this) }; },
  bool(_b) { return { kind: 'bool', value: this.sourceString === 'true', pos: pos(this) }; },
});

function call(self: OhmNode, callee: OhmNode, args: OhmNode): A.CallExpr {
  return { kind: 'call', callee: callee.sourceString, args: args.asIteration().children.map((a) => a.ast()), pos: pos(self), calleePos: pos(callee) };
}

export function parseDsl(source: string, file: string): A.Program {
  const m = grammar.match(source);
  if (m.failed()) {
    const offset = m.getRightmostFailurePosition();
    throw lcError('LC040', [cleanExpected(m.shortMessage ?? '', source, offset)], { span: spanAt(source, file, offset, 1), file });
  }
  return semantics(m).ast() as A.Program;
}

/** "Line 3, col 5: expected "(", or ")"" -> "expected "(" or ")", found "x"" (the position goes in the span). */
function cleanExpected(msg: string, source: string, offset: number): string {
  const body = msg.replace(/^Line \d+, col \d+:\s*/, '').replace(/, or /g, ' or ')
    .replace(/"_"(,| or) a letter/, 'a name').replace(/a letter(,| or) "_"/, 'a name');
  const found = source.slice(offset).match(/^\s*(\S{1,12})/);
  return `${body}, found ${found ? `'${found[1]}'` : 'end of file'}`;
}
