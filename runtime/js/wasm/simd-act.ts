// SIMD forms of the activations. The scalar truth stays in src/ops/activations.ts: test/js/simd-act.test.ts
// runs every row here against ACTIVATIONS[name].ref. Most are min/max/multiply-add; Sigmoid and Tanh use a
// vector exp (Cephes expf: n = round(x log2 e), r = x - n ln2 in two parts, a degree-6 polynomial for e^r,
// 2^n built in the exponent bits; ~2 ulp), sigmoid(x) = 1 / (1 + e^-x), tanh(x) = 2 sigmoid(2x) - 1 (absolute
// error ~1e-7 near 0). Only `x` and `tmp` are needed: the polynomial is evaluated on the operand stack.
import type { Code } from './encode.ts';
import type { ActivationParams } from '../../../src/ops/activations.ts';
import type { OperandStepKind } from '../../../src/ops/fused-contract.ts';

/** Operand layouts of a kernel's output viewed as [rows, cols]: per row, per column, the full output, one scalar. */
export type SimdPer = 'row' | 'col' | 'full' | 'scalar';

export type SimdStep =
  | { kind: OperandStepKind; per: SimdPer }
  | { kind: 'act'; name: string; params: ActivationParams };

type Emit = (c: Code, x: number, tmp: number, zero: number, p: ActivationParams) => void;

const splat = (c: Code, v: number) => c.f32(v).op('f32x4.splat');

/** Leaves e^x on the stack, for x in local `x` (clobbered; `tmp` too). */
function exp(c: Code, x: number, tmp: number): void {
  c.get(x); splat(c, 88); c.op('f32x4.pmin'); splat(c, -87.3365447505531); c.op('f32x4.pmax').set(x);
  c.get(x); splat(c, Math.LOG2E); c.op('f32x4.mul').op('f32x4.nearest').set(tmp);
  c.get(x).get(tmp); splat(c, 0.693359375); c.op('f32x4.mul').op('f32x4.sub').get(tmp); splat(c, -2.12194440e-4); c.op('f32x4.mul').op('f32x4.sub').set(x);
  splat(c, 1.9875691500e-4);
  for (const k of [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]) { c.get(x).op('f32x4.mul'); splat(c, k); c.op('f32x4.add'); }
  c.get(x).get(x).op('f32x4.mul').op('f32x4.mul').get(x).op('f32x4.add'); splat(c, 1); c.op('f32x4.add');
  c.get(tmp).op('i32x4.trunc_sat_f32x4_s').i32(127).op('i32x4.splat').op('i32x4.add').i32(23).op('i32x4.shl').op('f32x4.mul');
}

/** x = 1 / (1 + e^(-scale x)). */
function sigmoidInPlace(c: Code, x: number, tmp: number, scale: number): void {
  c.get(x); splat(c, -scale); c.op('f32x4.mul').set(x);
  exp(c, x, tmp);
  splat(c, 1); c.op('f32x4.add').set(tmp);
  splat(c, 1); c.get(tmp).op('f32x4.div').set(x);
}

const SIMD_ACTS: Record<string, Emit> = {
  Sigmoid: (c, x, t) => sigmoidInPlace(c, x, t, 1),
  // 2 sigmoid(2x) - 1
  Tanh: (c, x, t) => { sigmoidInPlace(c, x, t, 2); c.get(x).get(x).op('f32x4.add'); splat(c, 1); c.op('f32x4.sub').set(x); },
  // x > 0 ? x : 0  (pmax keeps the lane order of the scalar form)
  Relu: (c, x, _t, zero) => { c.get(zero).get(x).op('f32x4.pmax').set(x); },
  // x >= 0 ? x : alpha * x
  LeakyRelu: (c, x, t, zero, p) => {
    c.get(x).get(x); splat(c, p.alpha!); c.op('f32x4.mul').get(x).get(zero).op('f32x4.ge').op('v128.bitselect').set(x);
    void t;
  },
  // min(max(x, lo), hi)
  Clip: (c, x, _t, _z, p) => {
    c.get(x); splat(c, Math.fround(Math.max(p.min!, -3.4028234663852886e38))); c.op('f32x4.pmax');
    splat(c, Math.fround(Math.min(p.max!, 3.4028234663852886e38))); c.op('f32x4.pmin').set(x);
  },
  // max(0, min(1, alpha * x + beta))
  HardSigmoid: (c, x, _t, zero, p) => {
    c.get(x); splat(c, p.alpha!); c.op('f32x4.mul'); splat(c, p.beta!); c.op('f32x4.add');
    splat(c, 1); c.op('f32x4.pmin').get(zero).op('f32x4.pmax').set(x);
  },
  // x * max(0, min(1, x / 6 + 0.5))
  HardSwish: (c, x, t, zero) => {
    c.get(x); splat(c, 6); c.op('f32x4.div'); splat(c, 0.5); c.op('f32x4.add');
    splat(c, 1); c.op('f32x4.pmin').get(zero).op('f32x4.pmax').set(t);
    c.get(x).get(t).op('f32x4.mul').set(x);
  },
};

export function hasSimdActivation(name: string): boolean { return name in SIMD_ACTS; }

/** Activations with a SIMD loop (the js backend keeps them out of elementwise chains). */
export const SIMD_ACTIVATIONS: readonly string[] = Object.keys(SIMD_ACTS);

/** Applies the activation to the v128 local `x` in place (`tmp` is scratch, `zero` holds 0). */
export function simdActivation(c: Code, step: { name: string; params: ActivationParams }, x: number, tmp: number, zero: number): void {
  const f = SIMD_ACTS[step.name];
  if (!f) throw new Error(`no SIMD form for ${step.name}`);
  f(c, x, tmp, zero, step.params);
}
