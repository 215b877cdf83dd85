// Whether a WebGPU adapter exists here, decided once at collection time so suites skip visibly (never
// pass vacuously) when there is none. CI has one (lavapipe or SwiftShader).
import { afterAll, beforeAll } from 'vitest';
import { getGpu, openDevice } from '../../runtime/wgsl/device.ts';
import { mulberry32 } from '../../src/random.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { lowering } from '../../passes/pipelines.ts';
import { WGSL_CAPABILITIES, compileWgsl, type WgslOptions } from '../../runtime/wgsl/index.ts';

export const hasAdapter: boolean = !!(await (await getGpu()).requestAdapter());
if (!hasAdapter) console.warn('test/wgsl: SKIPPED — no WebGPU adapter (install libvulkan1 + mesa-vulkan-drivers; see README "WGSL backend and browser")');

/**
 * A device for kernel-level suites: opened before the file's tests, destroyed after. The getter throws when
 * there is none, so a suite that forgot describe.skipIf(!hasAdapter) fails instead of passing vacuously.
 */
export function useDevice(): () => GPUDevice {
  let device: GPUDevice | null = null;
  beforeAll(async () => { if (hasAdapter) device = (await openDevice()).device; });
  afterAll(() => device?.destroy());
  return () => device ?? (() => { throw new Error('no WebGPU device (suite should be skipped)'); })();
}

/** Seeded uniform floats in [lo, hi) for kernel inputs. */
export function randF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + r() * (hi - lo));
}

/** compileWgsl with the caller's lowering for the wgsl backend (what compileFor('wgsl', ...) does). */
export const compileWgslLowered = (g: Graph, opts: WgslOptions = {}) => compileWgsl(g, { ...opts, lower: lowering(WGSL_CAPABILITIES) });
