// Where the independent fixtures live (made with PyTorch/ONNX, never by layerc): ../shared/fixtures.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = resolve(REPO_ROOT, '../shared/fixtures');
export const MODELS = join(FIXTURES, 'models');
export const NODE_TESTS = join(FIXTURES, 'onnx-node-tests');
export const NODE_TESTS_ZOO = join(FIXTURES, 'onnx-node-tests-zoo');
export const ZOO = join(FIXTURES, 'zoo');

if (!existsSync(FIXTURES)) throw new Error(`fixtures not found at ${FIXTURES}: ../shared/fixtures must sit beside the repository`);
