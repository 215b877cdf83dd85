// What the round-robin benches (threads.ts, winograd.ts) share: their `--name value` options, the median of a
// run's samples, and the path of a bench model (ResNet-18 and MobileNetV2 are built by ./models.ts and cached
// in bench/.models; the others come from ../shared/fixtures/models).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mobilenetV2, resnet18 } from './models.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

export const arg = (k: string, d: string) => { const i = process.argv.indexOf(`--${k}`); return i >= 0 ? process.argv[i + 1]! : d; };

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export function modelPath(name: string): string {
  const own: Record<string, () => Uint8Array> = { resnet18, mobilenetv2: mobilenetV2 };
  if (!own[name]) return join(HERE, '..', '..', 'shared', 'fixtures', 'models', name, 'model.onnx');
  mkdirSync(join(HERE, '.models'), { recursive: true });
  const p = join(HERE, '.models', `${name}.onnx`);
  if (!existsSync(p)) writeFileSync(p, own[name]!());
  return p;
}
