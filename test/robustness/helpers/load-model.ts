// Child process for tests that could hang the test runner if the code under test regressed (a FIFO opened
// for reading blocks until a writer comes): imports argv[2] with external data allowed, prints the outcome.
import { loadOnnxFile } from '../../../src/frontend/onnx.ts';

try {
  loadOnnxFile(process.argv[2]!, { allowExternalData: true });
  console.log('loaded');
} catch (e) { console.log(`${(e as { code?: string }).code ?? 'crash'} ${(e as Error).message}`); }
