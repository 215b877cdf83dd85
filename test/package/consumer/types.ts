// Type-checked (not run) in the temp project against the package's .d.ts files: the API is typed, and
// a wrong option is a type error (each @ts-expect-error fails the check if the types were missing or `any`).
import { InferenceSession, LayercError, Tensor, compile, optimize, type Graph, type SessionOptions } from 'layerc';

export async function typed(bytes: Uint8Array, g: Graph): Promise<number> {
  const options: SessionOptions = { backend: 'wgsl', optimize: 1, threads: 2 };
  const s: InferenceSession = await InferenceSession.create(bytes, options);
  const out: Record<string, Tensor> = await s.run({ x: new Tensor('float32', [1], new Float32Array(1)) });
  await s.release();
  const m = await compile(optimize(g, 2), 'js');
  await m.dispose();
  // @ts-expect-error: there is no 'cuda' backend
  await InferenceSession.create(bytes, { backend: 'cuda' });
  // @ts-expect-error: optimization levels are 0, 1 and 2
  optimize(g, 3);
  try { return out.y.dims.length; } catch (e) { return e instanceof LayercError ? e.exitCode : 1; }
}
