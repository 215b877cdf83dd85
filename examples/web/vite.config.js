// The demo page: `npx tsx examples/web/build-assets.ts` writes public/, then `npx vite build examples/web` builds
// dist/ and `npx vite preview examples/web` serves it (or `npx vite examples/web` serves the sources); the
// Chromium flags for WebGPU are in README "WGSL backend and browser". Top-level await and dynamic import of the
// compiled model need esnext.
export default { build: { target: 'esnext', outDir: 'dist', emptyOutDir: true } };
