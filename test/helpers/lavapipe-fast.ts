// Import first (before anything opens a WebGPU adapter) in suites that compile many small WGSL programs:
// on lavapipe (Mesa's CPU Vulkan, CI's adapter) most of such a suite's WGSL time is LLVM building each new
// pipeline at its first dispatch, for kernels that then run on a few hundred elements. GALLIVM_PERF=nopt
// builds them without LLVM's optimization passes (the flag's name is `nopt`: the `no_opt` set here until
// 2026-12-06 was silently ignored) and LP_NATIVE_VECTOR_WIDTH=128 with 4-wide instead of 8-wide vectors,
// which is less code to select and allocate registers for: together ~2.5x less LLVM time per pipeline
// (test/props/profile-fuzz.ts). Both are driver settings: the WGSL each model runs is the same, and results
// are checked against the reference either way; test/wgsl/* keeps the driver's defaults. A value the caller
// set wins.
process.env.GALLIVM_PERF ??= 'nopt';
process.env.LP_NATIVE_VECTOR_WIDTH ??= '128';
export {};
