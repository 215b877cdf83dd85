// A fused elementwise chain (src/ops/elementwise-chain.ts) in WebAssembly SIMD, when its body is plain float64
// arithmetic: statements `const tN = (A op B);` (op + - * /) or `const tN = A;`, A and B leaves ($k), temps or
// numeric literals. Like the JS body, it computes in float64 and rounds once: four float32 leaves are widened
// into two f64x2 halves, every statement runs on both halves, and the result is narrowed and stored. IEEE float64
// add/sub/mul/div round the same in wasm and JS, so the output is bit for bit the JS kernel's (and the
// reference's) — NaN payloads aside. Anything else in the body (Math.*, comparisons) keeps the JS kernel.
// Leaves are contiguous (stride 1) or one broadcast scalar (stride 0), as the caller checks.
// Parameters: out, one address per leaf (bytes; scalar leaves: the scalar's), groups (of 4 elements).
import { Code, I32, V128 } from './encode.ts';

export interface ChainStatement { dst: string; a: string; op?: '+' | '-' | '*' | '/'; b?: string }

const OPERAND = /^(\$\d+|t\d+|-?\d+(\.\d+)?(e[+-]?\d+)?)$/;
const F64X2: Record<string, string> = { '+': 'f64x2.add', '-': 'f64x2.sub', '*': 'f64x2.mul', '/': 'f64x2.div' };

/** The body's statements, or null when it uses anything but the four operators on leaves, temps and literals. */
export function parseChain(body: string): ChainStatement[] | null {
  const out: ChainStatement[] = [];
  for (const raw of body.split(/;\s*|\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const bin = /^const (t\d+) = \((\S+) ([-+*/]) (\S+)\)$/.exec(line);
    const copy = /^const (t\d+) = (\S+)$/.exec(line);
    if (bin && OPERAND.test(bin[2]!) && OPERAND.test(bin[4]!)) out.push({ dst: bin[1]!, a: bin[2]!, op: bin[3] as ChainStatement['op'], b: bin[4]! });
    else if (copy && OPERAND.test(copy[2]!)) out.push({ dst: copy[1]!, a: copy[2]! });
    else return null;
  }
  return out;
}

/** `scalar[k]`: leaf k is one broadcast value. `result` names the stored temp or leaf. */
export function emitChain(statements: ChainStatement[], scalar: boolean[], result: string): Code {
  const leaves = scalar.length;
  const code = new Code(new Array(leaves + 2).fill(I32));
  const OUT = 0, GROUPS = leaves + 1;
  const n = code.local(I32), raw = code.local(V128);
  const pair = () => [code.local(V128), code.local(V128)] as const;
  const values = new Map<string, readonly [number, number]>();
  const widen = (dst: readonly [number, number]) => {
    code.get(raw).op('f64x2.promote_low_f32x4').set(dst[0]);
    code.get(raw).get(raw).shuffle32([2, 3, 2, 3]).op('f64x2.promote_low_f32x4').set(dst[1]);
  };
  const leafValues = Array.from({ length: leaves }, () => pair());
  leafValues.forEach((v, k) => values.set(`$${k}`, v));
  // Broadcast scalars and literals: widened once, before the loop.
  for (let k = 0; k < leaves; k++) if (scalar[k]) { code.get(1 + k).mem('v128.load32_splat', 0, 2).set(raw); widen(leafValues[k]!); }
  const operand = (s: string): readonly [number, number] => {
    const known = values.get(s);
    if (known) return known;
    const v = pair(), bytes = [...new Uint8Array(new Float64Array([Number(s), Number(s)]).buffer)];
    code.v128const(bytes).set(v[0]).get(v[0]).set(v[1]);
    values.set(s, v);
    return v;
  };
  for (const st of statements) if (!values.has(st.dst)) values.set(st.dst, pair());
  for (const st of statements) { operand(st.a); if (st.b) operand(st.b); } // literals: set up before the loop
  code.get(GROUPS).set(n);
  code.block().get(n).op('i32.eqz').brIf(0).loop();
  for (let k = 0; k < leaves; k++) if (!scalar[k]) { code.get(1 + k).mem('v128.load').set(raw); widen(leafValues[k]!); }
  for (const st of statements) {
    const a = values.get(st.a)!, d = values.get(st.dst)!;
    for (const h of [0, 1]) {
      code.get(a[h]!);
      if (st.op) code.get(values.get(st.b!)![h]!).op(F64X2[st.op]!);
      code.set(d[h]!);
    }
  }
  const r = values.get(result)!;
  code.get(OUT).get(r[0]).op('f32x4.demote_f64x2_zero').get(r[1]).op('f32x4.demote_f64x2_zero').shuffle32([0, 1, 4, 5]).mem('v128.store');
  code.addTo(OUT, 16);
  for (let k = 0; k < leaves; k++) if (!scalar[k]) code.addTo(1 + k, 16);
  code.addTo(n, -1).get(n).brIf(0);
  code.op('end').op('end');
  return code;
}
