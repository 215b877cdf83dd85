// WebGPU device setup. In the browser the caller passes navigator.gpu; in Node we load Dawn (npm `webgpu`)
// lazily. Dawn needs a Vulkan driver: without a GPU that is Mesa's lavapipe (default when installed) or
// Chromium's SwiftShader. The env vars are set here, before the instance exists, so `npm test` needs no setup.
import type * as Dawn from 'webgpu'; // types only (and, through it, the WebGPU globals' types)
import { lcError } from '../../src/diagnostics.ts';
import { nodeBuiltin } from '../../src/node-builtin.ts';

const LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.json';
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

function defaultVulkanEnv(): void {
  const { existsSync, mkdirSync } = nodeBuiltin!('node:fs'), { join } = nodeBuiltin!('node:path'), { tmpdir } = nodeBuiltin!('node:os');
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = join(tmpdir(), 'layerc-xdg');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  // Only pick a software driver when lavapipe is absent (a real GPU's ICD is then still found by the loader).
  if (!process.env.VK_ICD_FILENAMES && !existsSync(LAVAPIPE) && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
}

let nodeGpu: GPU | null = null;

/** The GPU object: navigator.gpu when present, else Dawn in Node. */
export async function getGpu(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (nodeGpu) return nodeGpu;
  if (!nodeBuiltin) throw lcError('LC080', ['this browser has no navigator.gpu']);
  defaultVulkanEnv();
  const dawnPackage = 'webgpu'; // a variable: bundlers must not pull Dawn (a native Node addon) into a web page
  const dawn = (await import(dawnPackage)) as typeof Dawn;
  Object.assign(globalThis, dawn.globals);
  nodeGpu = dawn.create([]);
  return nodeGpu;
}

export interface GpuContext { device: GPUDevice; adapterName: string; /** A software (CPU) Vulkan/WebGPU implementation. */ cpu: boolean }

const CPU_ADAPTERS = /llvmpipe|lavapipe|swiftshader/i;

export async function openDevice(gpu?: GPU): Promise<GpuContext> {
  const g = gpu ?? (await getGpu());
  const adapter = await g.requestAdapter();
  if (!adapter) throw lcError('LC080', ['no WebGPU adapter (install libvulkan1 and mesa-vulkan-drivers, or set VK_ICD_FILENAMES)']);
  const device = await adapter.requestDevice({
    requiredLimits: { maxStorageBuffersPerShaderStage: Math.min(10, adapter.limits.maxStorageBuffersPerShaderStage) },
  });
  const info = adapter.info;
  const adapterName = info?.device || info?.description || info?.vendor || 'unknown adapter';
  const fallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
  return { device, adapterName, cpu: fallback || CPU_ADAPTERS.test(`${adapterName} ${info?.description ?? ''} ${info?.architecture ?? ''}`) };
}
