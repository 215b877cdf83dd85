// SIMD forms of the activations whose math is only min/max/multiply-add (so WebAssembly has it). The
// scalar truth stays in src/ops/activations.ts: test/js/simd-act.test.ts runs every row here against
// ACTIVATIONS[name].ref. Activations needing exp/tanh (Sigmoid, Tanh) are not here: the kernel leaves them
// (and every epilogue step after them) to a JS pass built from ACTIVATIONS[name].js.
import type { Code } from './encode.ts';
import type { ActivationParams } from '../../../src/ops/activations.ts';

export type SimdStep =
  | { kind: 'add' | 'mul'; per: 'row' | 'col' | 'full' | 'scalar' }
  | { kind: 'act'; name: string; params: ActivationParams };

type Emit = (c: Code, x: number, tmp: number, zero: number, p: ActivationParams) => void;

const splat = (c: Code, v: number) => c.f32(v).op('f32x4.splat');

const SIMD_ACTS: Record<string, Emit> = {
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

/** Applies the activation to the v128 local `x` in place (`tmp` is scratch, `zero` holds 0). */
export function simdActivation(c: Code, step: { name: string; params: ActivationParams }, x: number, tmp: number, zero: number): void {
  const f = SIMD_ACTS[step.name];
  if (!f) throw new Error(`no SIMD form for ${step.name}`);
  f(c, x, tmp, zero, step.params);
}
