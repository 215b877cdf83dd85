// The metrics a training run reports per epoch and early stopping can monitor. A module of its own so that the
// command line can list them in `layerc train --help` without loading the training loop.
export type Metric = 'loss' | 'accuracy' | 'val_loss' | 'val_accuracy' | 'test_loss' | 'test_accuracy';
export const METRICS: readonly Metric[] = ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'test_loss', 'test_accuracy'];
