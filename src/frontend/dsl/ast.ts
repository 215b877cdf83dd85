// The DSL's syntax tree. Every node keeps its source position so the compiler can point errors at it.
export interface Pos { offset: number; length: number }

export type Literal = { kind: 'num'; value: number; pos: Pos } | { kind: 'str'; value: string; pos: Pos } | { kind: 'bool'; value: boolean; pos: Pos };

export type Expr =
  | Literal
  | { kind: 'name'; name: string; pos: Pos }
  | { kind: 'call'; callee: string; args: Arg[]; pos: Pos; calleePos: Pos }
  | { kind: 'pipe'; input: Expr; stage: { kind: 'call'; callee: string; args: Arg[]; pos: Pos; calleePos: Pos }; pos: Pos }
  | { kind: 'add'; left: Expr; right: Expr; pos: Pos };

export type CallExpr = Extract<Expr, { kind: 'call' }>;

export interface Arg { name?: string; value: Expr; pos: Pos }

export type Stmt =
  | { kind: 'bind'; name: string; value: Expr; pos: Pos }
  | { kind: 'return'; values: Expr[]; pos: Pos };

export interface InputParam { name: string; dtype: string; dims: (number | string)[]; pos: Pos }
export interface BlockParam { name: string; default?: Literal; pos: Pos }

export interface ModelDecl { kind: 'model'; name: string; inputs: InputParam[]; body: Stmt[]; pos: Pos }
export interface BlockDecl { kind: 'block'; name: string; params: BlockParam[]; body: Stmt[]; pos: Pos }
export type Decl = ModelDecl | BlockDecl;

export interface Program { decls: Decl[] }
