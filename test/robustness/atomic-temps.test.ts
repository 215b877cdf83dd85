// A write killed mid-way leaves its temp file (`.<name>.<pid>.<time>.tmp`) behind; the next write to the same
// target removes temps whose process is gone, and leaves a live writer's temp alone.
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/io/atomic.ts';

const d = mkdtempSync(join(tmpdir(), 'layerc-temps-'));
afterAll(() => rmSync(d, { recursive: true, force: true }));

it('stale temps of dead writers are removed, a live writer\'s temp is kept', () => {
  // A pid that certainly belonged to a process that has exited: a child we ran and waited for.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  writeFileSync(join(d, `.m.onnx.${dead}.1700000000000.tmp`), 'half-written');
  writeFileSync(join(d, `.m.onnx.${process.pid}.1700000000001.tmp`), 'in progress');
  writeFileSync(join(d, `.other.onnx.${dead}.1700000000002.tmp`), 'another target');
  writeFileAtomic(join(d, 'm.onnx'), 'new');
  expect(readFileSync(join(d, 'm.onnx'), 'utf8')).toBe('new');
  expect(readdirSync(d).sort()).toEqual([`.m.onnx.${process.pid}.1700000000001.tmp`, `.other.onnx.${dead}.1700000000002.tmp`, 'm.onnx']);
});
