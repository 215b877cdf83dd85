// Whether a WebGPU adapter exists here, decided once at collection time so suites skip visibly (never
// pass vacuously) when there is none. CI has one (lavapipe or SwiftShader).
import { getGpu } from '../../runtime/wgsl/device.ts';

export const hasAdapter: boolean = !!(await (await getGpu()).requestAdapter());
if (!hasAdapter) console.warn('test/wgsl: SKIPPED — no WebGPU adapter (install libvulkan1 + mesa-vulkan-drivers; see README "WGSL backend and browser")');
