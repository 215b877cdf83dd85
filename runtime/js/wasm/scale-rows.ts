// Rows of float32 scaled in place by a float64 factor each, in wasm SIMD: x[r][i] = f32(f64(x[r][i]) * scale[r]),
// the product in float64 rounded once to float32, as JS computes `w[i] * a` into a Float32Array (fold-batchnorm's
// folded weights, bit for bit). The Winograd filter writer (../kernels/winograd-weights.ts) stages a conv's
// unfolded filters with a copy and scales them here: a JS loop over ResNet-18's 9.3 M folded weights took 30-80 ms.
import { Code, I32, V128, type WasmFunction } from './encode.ts';

/** (at, rows, n, scales): `rows` rows of `n` floats from byte address `at`, row r times the float64 at scales + 8 r. */
export function emitScaleRows(name: string): WasmFunction {
  const c = new Code([I32, I32, I32, I32]);
  const [at, rows, n, scales] = [0, 1, 2, 3];
  const r = c.local(I32), p = c.local(I32), end = c.local(I32), vecEnd = c.local(I32), a = c.local(V128), v = c.local(V128);
  const scaled = (x: () => void) => { x(); c.op('f64x2.promote_low_f32x4').get(a).op('f64x2.mul').op('f32x4.demote_f64x2_zero'); };
  c.get(at).set(p);
  c.i32(0).set(r);
  c.block().loop();
  c.get(r).get(rows).op('i32.ge_s').brIf(1);
  c.get(scales).get(r).i32(8).op('i32.mul').op('i32.add').mem('v128.load64_splat', 0, 3).set(a);
  c.get(p).get(n).i32(4).op('i32.mul').op('i32.add').set(end);
  c.get(end).i32(12).op('i32.sub').set(vecEnd); // p < vecEnd: four floats left at least
  // four at a time: low and high halves widened, scaled, narrowed and put back together
  c.block().loop();
  c.get(p).get(vecEnd).op('i32.ge_s').brIf(1);
  c.get(p).mem('v128.load').set(v);
  c.get(p);
  scaled(() => c.get(v));
  scaled(() => c.get(v).get(v).shuffle32([2, 3, 2, 3]));
  c.shuffle32([0, 1, 4, 5]).mem('v128.store');
  c.addTo(p, 16).br(0).op('end').op('end');
  // the row's last n mod 4 floats one by one
  c.block().loop();
  c.get(p).get(end).op('i32.ge_s').brIf(1);
  c.get(p);
  scaled(() => c.get(p).mem('v128.load32_zero'));
  c.lane('v128.store32_lane', 0, 0);
  c.addTo(p, 4).br(0).op('end').op('end');
  c.addTo(r, 1).br(0).op('end').op('end');
  return { name, code: c };
}
