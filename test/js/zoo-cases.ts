// Runs ONNX test cases on the js backend through `test-onnx`'s runner and sums up what happened (shared by the
// #19 js tests).
import { caseName, findCases, runCase } from '../../src/cli/onnx-cases.ts';
import type { Optimize } from '../../src/cli/level.ts';

/** Runs the cases on js (test-onnx's runner); returns failures, pass count, the cases with a node fallback and how many ran whole on
 *  the reference because a shape depends on input values (Resize with its scales/sizes fed as graph inputs). */
export async function onJs(roots: string[], optimize: Optimize | undefined) {
  const failures: string[] = [], fallbacks: string[] = [];
  let passed = 0, dataDependent = 0;
  for (const dir of findCases(roots)) {
    const name = caseName(dir, roots);
    const js = await runCase(dir, name, { backend: 'js', optimize });
    if (js.status === 'PASS') passed++; else failures.push(name);
    if (js.fallback?.includes('data-dependent shape')) dataDependent++;
    else if (js.fallback) fallbacks.push(name);
  }
  return { failures, passed, fallbacks, dataDependent };
}

