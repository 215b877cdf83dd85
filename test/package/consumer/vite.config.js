// The temp project's Vite build (pack.test.ts). Any bundler warning fails it (exit status 1; a throw inside
// onwarn is swallowed): a Node module externalized for the browser means the package's browser entry reaches
// a module that imports one.
export default {
  logLevel: 'warn',
  build: {
    outDir: 'web', target: 'esnext', emptyOutDir: true,
    rolldownOptions: { onwarn(w) { console.error(`bundler warning: ${w.message}`); process.exitCode = 1; } },
  },
};
