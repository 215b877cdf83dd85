// AST -> DSL text. Printing then reparsing yields the same AST modulo positions, hence the same IR.
import type * as A from './ast.ts';

export function printDsl(p: A.Program): string {
  return p.decls.map(decl).join('\n\n') + '\n';
}

function decl(d: A.Decl): string {
  const head = d.kind === 'model'
    ? `model ${d.name}(${d.inputs.map((i) => `${i.name}: ${i.dtype}[${i.dims.join(', ')}]`).join(', ')})`
    : `block ${d.name}(${d.params.map((q) => (q.default ? `${q.name} = ${expr(q.default)}` : q.name)).join(', ')})`;
  return `${head} {\n${d.body.map((s) => `  ${stmt(s)}`).join('\n')}\n}`;
}

function stmt(s: A.Stmt): string {
  return s.kind === 'bind' ? `${s.name} = ${expr(s.value)}` : `return ${s.values.map(expr).join(', ')}`;
}

/** Precedence: pipe (0) < add (1) < primary (2); parenthesize a child that binds looser than its slot. */
function expr(e: A.Expr, slot = 0): string {
  switch (e.kind) {
    case 'num': return numText(e.value);
    case 'str': return `"${e.value}"`; // the grammar has no escapes: a string is its raw text
    case 'bool': return String(e.value);
    case 'name': return e.name;
    case 'call': return call(e);
    case 'add': return wrap(`${expr(e.left, 1)} + ${expr(e.right, 2)}`, 1, slot);
    case 'pipe': return wrap(`${expr(e.input, 0)}\n    |> ${call(e.stage)}`, 0, slot);
  }
}

function call(c: A.CallExpr): string {
  if (!c.args.length) return c.callee;
  return `${c.callee}(${c.args.map((a) => (a.name ? `${a.name}=${expr(a.value)}` : expr(a.value))).join(', ')})`;
}

function wrap(text: string, prec: number, slot: number): string { return prec < slot ? `(${text})` : text; }
function numText(x: number): string { return String(x); }
