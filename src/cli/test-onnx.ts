// `layerc test-onnx DIR...`: runs ONNX backend-format test cases; one line per case, then `fallbacks: N` (cases
// not run wholly by the backend's kernels) with a count per reason, last line `N passed, M failed`.
import type { Command } from 'commander';
import { loadOptimizer, parseLevel } from './level.ts';

export function register(program: Command): void {
  program.command('test-onnx')
    .description('run ONNX backend test cases (model.onnx + test_data_set_*) and compare outputs')
    .argument('<dirs...>', 'case folders or folders of case folders')
    .option('--backend <name>', 'reference | js | wgsl', 'reference')
    .option('-O, --opt-level <n>', 'optimization level 0, 1 or 2 (-O0 runs the model exactly as written)', '2')
    .addHelpText('after', '\nExample:\n  layerc test-onnx ../shared/fixtures/onnx-node-tests --backend reference -O0')
    .action(async (dirs: string[], o: { backend: string; optLevel: string }) => {
      const optimize = await loadOptimizer(parseLevel(o.optLevel));
      const { caseName, findCases, formatResult, runCase } = await import('./onnx-cases.ts'); // loaded on use (start-up)
      let passed = 0, failed = 0, unsupported = 0;
      const fallbacks = new Map<string, number>(); // reason (value names left out) -> cases
      for (const dir of findCases(dirs)) {
        const r = await runCase(dir, caseName(dir, dirs), { backend: o.backend, optimize });
        console.log(formatResult(r));
        if (r.status === 'PASS') passed++; else if (r.status === 'FAIL') failed++; else unsupported++;
        const why = r.fallback?.replace(/ '[^']*'/g, '');
        if (why) fallbacks.set(why, (fallbacks.get(why) ?? 0) + 1);
      }
      console.log(`fallbacks: ${[...fallbacks.values()].reduce((a, b) => a + b, 0)}`);
      for (const [why, n] of [...fallbacks].sort((a, b) => b[1] - a[1])) console.log(`  ${n} x ${why}`);
      console.log(`${unsupported} unsupported`);
      console.log(`${passed} passed, ${failed} failed`);
      if (failed) process.exitCode = 1;
    });
}
