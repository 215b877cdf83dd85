// -O0 / -O1 / -O2 parsing shared by run and test-onnx.
import { lcError } from '../diagnostics.ts';

export function parseLevel(s: string): 0 | 1 | 2 {
  if (s === '0' || s === '1' || s === '2') return Number(s) as 0 | 1 | 2;
  throw lcError('LC002', [`optimization level must be 0, 1 or 2 (-O0, -O1, -O2), got '${s}'`]);
}
