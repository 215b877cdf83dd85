// A minimal WebAssembly binary writer: enough to emit layerc's SIMD kernels without any external
// toolchain. A module imports one memory (`env.memory`, shared when threads are used) and exports
// functions whose parameters and locals are i32/f32/v128. `Code` appends instructions by name; opcodes
// follow the WebAssembly 2.0 spec (SIMD ones behind the 0xfd prefix, LEB128-encoded).

export const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

export function uleb(n: number, out: number[] = []): number[] {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number, out: number[] = []): number[] {
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}

const f32Bytes = (x: number) => [...new Uint8Array(new Float32Array([x]).buffer)];

const SIMD: Record<string, number> = {
  'v128.load': 0x00, 'v128.load32_splat': 0x09, 'v128.store': 0x0b, 'f32x4.splat': 0x13,
  'f32x4.extract_lane': 0x1f, 'f32x4.replace_lane': 0x20, 'f32x4.eq': 0x41, 'f32x4.lt': 0x43, 'f32x4.gt': 0x44, 'f32x4.ge': 0x46,
  'v128.load32_lane': 0x56, 'v128.and': 0x4e, 'v128.andnot': 0x4f, 'v128.or': 0x50, 'v128.bitselect': 0x52, 'v128.store32_lane': 0x5a, 'v128.load32_zero': 0x5c,
  'f32x4.abs': 0xe0, 'f32x4.neg': 0xe1, 'f32x4.sqrt': 0xe3, 'f32x4.add': 0xe4, 'f32x4.sub': 0xe5,
  'f32x4.mul': 0xe6, 'f32x4.div': 0xe7, 'f32x4.min': 0xe8, 'f32x4.max': 0xe9, 'f32x4.pmin': 0xea, 'f32x4.pmax': 0xeb,
  'v128.load64_splat': 0x0a, 'f64x2.promote_low_f32x4': 0x5f, 'f32x4.demote_f64x2_zero': 0x5e,
  'f64x2.neg': 0xed, 'v128.store64_lane': 0x5b, 'f64x2.add': 0xf0, 'f64x2.sub': 0xf1, 'f64x2.mul': 0xf2, 'f64x2.div': 0xf3,
  'i32x4.splat': 0x11, 'f32x4.nearest': 0x6a, 'i32x4.shl': 0xab, 'i32x4.add': 0xae, 'i32x4.trunc_sat_f32x4_s': 0xf8,
};

const PLAIN: Record<string, number> = {
  'end': 0x0b, 'return': 0x0f, 'drop': 0x1a, 'select': 0x1b,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49, 'i32.gt_s': 0x4a,
  'i32.le_s': 0x4c, 'i32.ge_s': 0x4e, 'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c, 'i32.and': 0x71, 'i32.shl': 0x74, 'i32.shr_s': 0x75,
  'f32.add': 0x92, 'f32.sub': 0x93, 'f32.mul': 0x94, 'f32.div': 0x95, 'f32.min': 0x96, 'f32.max': 0x97,
};

/** One function body under construction. Locals are numbered after the parameters. */
export class Code {
  readonly bytes: number[] = [];
  private readonly locals: ValType[] = [];
  constructor(readonly params: ValType[]) {}
  local(t: ValType): number { this.locals.push(t); return this.params.length + this.locals.length - 1; }
  op(name: string): this {
    if (name in PLAIN) this.bytes.push(PLAIN[name]!);
    else if (name in SIMD) { this.bytes.push(0xfd); uleb(SIMD[name]!, this.bytes); }
    else throw new Error(`wasm encode: unknown instruction ${name}`);
    return this;
  }
  /** A memory instruction: natural alignment is assumed (log2 bytes), `offset` a static byte offset. */
  mem(name: string, offset = 0, alignLog2 = name.startsWith('v128.load32') || name === 'f32.load' || name === 'f32.store' || name === 'i32.load' || name === 'i32.store' || name === 'v128.store32_lane' ? 2 : 4): this {
    if (name === 'f32.load') this.bytes.push(0x2a);
    else if (name === 'f32.store') this.bytes.push(0x38);
    else if (name === 'i32.load') this.bytes.push(0x28);
    else if (name === 'i32.store') this.bytes.push(0x36);
    else { this.bytes.push(0xfd); uleb(SIMD[name]!, this.bytes); }
    uleb(alignLog2, this.bytes);
    uleb(offset, this.bytes);
    return this;
  }
  lane(name: string, offset: number, lane: number): this { this.mem(name, offset); this.bytes.push(lane); return this; }
  /** i8x16.shuffle of the two v128 on the stack, given as four f32 lanes (0-3 first operand, 4-7 second). */
  shuffle32(lanes: readonly number[]): this { this.bytes.push(0xfd, 0x0d); for (const l of lanes) this.bytes.push(4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3); return this; }
  extract(lane: number): this { this.op('f32x4.extract_lane'); this.bytes.push(lane); return this; }
  get(i: number): this { this.bytes.push(0x20); uleb(i, this.bytes); return this; }
  set(i: number): this { this.bytes.push(0x21); uleb(i, this.bytes); return this; }
  tee(i: number): this { this.bytes.push(0x22); uleb(i, this.bytes); return this; }
  i32(n: number): this { this.bytes.push(0x41); sleb(n, this.bytes); return this; }
  f32(x: number): this { this.bytes.push(0x43, ...f32Bytes(x)); return this; }
  v128zero(): this { return this.v128const(new Array(16).fill(0)); }
  /** v128.const of 16 bytes (little-endian lanes). */
  v128const(bytes: readonly number[]): this { this.bytes.push(0xfd, 0x0c, ...bytes); return this; }
  block(): this { this.bytes.push(0x02, 0x40); return this; }
  loop(): this { this.bytes.push(0x03, 0x40); return this; }
  if_(): this { this.bytes.push(0x04, 0x40); return this; }
  else_(): this { this.bytes.push(0x05); return this; }
  br(depth: number): this { this.bytes.push(0x0c); uleb(depth, this.bytes); return this; }
  brIf(depth: number): this { this.bytes.push(0x0d); uleb(depth, this.bytes); return this; }
  /** `local += n` for an i32 local. */
  addTo(i: number, n: number): this { return this.get(i).i32(n).op('i32.add').set(i); }
  /** The body: local declarations (run-length by type) + instructions + end; size-prefixed. Encoded once (a
   *  program compares bodies to emit identical functions once, then writes them into the module). */
  encode(): Uint8Array {
    if (this.encoded && this.encodedAt === this.bytes.length) return this.encoded;
    const runs: [number, ValType][] = [];
    for (const t of this.locals) {
      const r = runs[runs.length - 1];
      if (r && r[1] === t) r[0]++;
      else runs.push([1, t]);
    }
    const head = uleb(runs.length);
    for (const [n, t] of runs) { uleb(n, head); head.push(t); }
    const size = uleb(head.length + this.bytes.length + 1);
    const out = new Uint8Array(size.length + head.length + this.bytes.length + 1);
    out.set(size); out.set(head, size.length); out.set(this.bytes, size.length + head.length); out[out.length - 1] = 0x0b;
    this.encoded = out; this.encodedAt = this.bytes.length;
    return out;
  }
  private encoded: Uint8Array | null = null;
  private encodedAt = -1;
}

export interface WasmFunction { name: string; code: Code }

type Bytes = ArrayLike<number>;
function concat(parts: Bytes[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
function section(id: number, payload: Uint8Array): Uint8Array { return concat([[id], uleb(payload.length), payload]); }
function vec(items: Bytes[]): Uint8Array { return concat([uleb(items.length), ...items]); }
function name(s: string): number[] { const b = [...new TextEncoder().encode(s)]; return [...uleb(b.length), ...b]; }

/** A module importing `env.memory` (pages as given) and exporting each function by name. No results. */
export function encodeModule(funcs: WasmFunction[], memory: { initial: number; maximum: number; shared: boolean }): Uint8Array {
  const sigs: string[] = [];
  const sigOf = funcs.map((f) => {
    const key = f.code.params.join(',');
    let i = sigs.indexOf(key);
    if (i < 0) { sigs.push(key); i = sigs.length - 1; }
    return i;
  });
  const types = section(1, vec(sigs.map((k) => {
    const ps = k ? k.split(',').map(Number) : [];
    return [0x60, ...uleb(ps.length), ...ps, 0x00];
  })));
  const limits = memory.shared ? [0x03, ...uleb(memory.initial), ...uleb(memory.maximum)] : [0x01, ...uleb(memory.initial), ...uleb(memory.maximum)];
  const imports = section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]]));
  const fsec = section(3, vec(sigOf.map((i) => uleb(i))));
  const exports = section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const code = section(10, vec(funcs.map((f) => f.code.encode())));
  return concat([[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], types, imports, fsec, exports, code]);
}
