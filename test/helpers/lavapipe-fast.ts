// Import first (before anything opens a WebGPU adapter) in suites that compile many small WGSL programs:
// on lavapipe (Mesa's CPU Vulkan, CI's adapter) most of such a suite's time is LLVM optimizing each
// pipeline for kernels that then run on a few hundred elements (test/props/profile-fuzz.ts: ~70 % of a
// differential model). GALLIVM_PERF=no_opt compiles them without LLVM's optimization passes; the results
// are checked against the reference either way, and test/wgsl/* keeps the driver's default. A value the
// caller set wins.
process.env.GALLIVM_PERF ??= 'no_opt';
export {};
