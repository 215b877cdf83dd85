// Learning-rate schedules, as functions of the step about to be taken (0-based) and its epoch, so a resumed
// run gets the same rates as an uninterrupted one. The Trainer feeds the rate (optimizer.lr) every step.
//   constant: lr
//   step:     lr * gamma^floor(epoch / every)                        (PyTorch StepLR, stepped per epoch)
//   cosine:   lr * (1 + cos(pi * t / T)) / 2, t and T counted after the warm-up   (CosineAnnealingLR, eta_min 0)
//   warm-up:  the first W steps ramp linearly: lr * (step + 1) / W, then the schedule above takes over
import { lcError } from '../diagnostics.ts';

export type ScheduleKind = 'constant' | 'step' | 'cosine';
export const SCHEDULES: readonly ScheduleKind[] = ['constant', 'step', 'cosine'];

export interface LrSchedule {
  kind: ScheduleKind;
  /** step: epochs between decays (default 1). */
  every?: number;
  /** step: the decay factor (default 0.1). */
  gamma?: number;
  /** Linear warm-up steps (default 0). */
  warmup?: number;
}

export function learningRateAt(lr: number, s: LrSchedule | undefined, step: number, epoch: number, totalSteps: number): number {
  if (!s) return lr;
  const warmup = s.warmup ?? 0;
  if (step < warmup) return lr * (step + 1) / warmup;
  if (s.kind === 'step') return lr * (s.gamma ?? 0.1) ** Math.floor(epoch / (s.every ?? 1));
  if (s.kind === 'cosine') {
    const span = Math.max(1, totalSteps - warmup);
    return lr * (1 + Math.cos(Math.PI * Math.min(step - warmup, span) / span)) / 2;
  }
  return lr;
}

export function checkSchedule(s: LrSchedule): LrSchedule {
  if (!SCHEDULES.includes(s.kind)) throw lcError('LC069', [`unknown learning-rate schedule '${s.kind}' (choose ${SCHEDULES.join(', ')})`]);
  for (const [k, v] of [['every', s.every], ['warmup', s.warmup]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= (k === 'every' ? 1 : 0))) throw lcError('LC069', [`learning-rate schedule: ${k} must be a ${k === 'every' ? 'positive' : 'non-negative'} integer, got ${v}`]);
  }
  if (s.gamma !== undefined && !(s.gamma > 0)) throw lcError('LC069', [`learning-rate schedule: gamma must be positive, got ${s.gamma}`]);
  return s;
}
