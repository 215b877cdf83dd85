// The demo page: `npx tsx examples/web/build-assets.ts` writes public/, then `npx vite build examples/web`
// (or `npx vite examples/web` to serve). Top-level await and dynamic import of the compiled model need esnext.
export default { build: { target: 'esnext', outDir: 'dist', emptyOutDir: true } };
