// The training loop's core: one compiled training graph (any backend), state held as tensors by name and fed
// in each step; the step's `<state>__next` outputs become the new state. The backend is a parameter, so the
// reference interpreter (tests) and the JS backend (speed) run the same graph. Non-finite values are caught
// at the step that produced them, naming the state (layer) that went bad; the state is left at the last good
// step so a checkpoint written after the error is still valid. PyTorch's num_batches_tracked (pytorch BN
// convention) is kept here on the host, an int64 per BatchNorm layer incremented after each step: nothing
// in the graph reads it, it is saved and restored with the rest of the state.
import type { Graph, Value } from '../../ir/graph.ts';
import { Tensor } from '../../ir/tensor.ts';
import type { CompiledModel } from '../../../runtime/backend.ts';
import { compileFor } from '../../compile-for.ts';
import type { TrainingProgram } from '../../../passes/split-train-infer.ts';
import { runGraph } from '../../ir/interpret.ts';
import { isFloat } from '../../ir/dtype.ts';
import { type LayercError, lcError } from '../../diagnostics.ts';
import { matchState } from '../state-match.ts';
import { LEARNING_RATE } from '../optimizers.ts';

/** Moves every state initializer to the graph inputs (keeping its initial tensor in `const`). */
export function stateAsInputs(g: Graph, state: Value[]): void {
  for (const v of state) {
    const i = g.initializers.indexOf(v);
    if (i >= 0) g.initializers.splice(i, 1);
    if (!g.inputs.includes(v)) g.inputs.push(v);
  }
}

export class Trainer {
  /** Current state by name (parameters, running stats, optimizer moments, step). */
  readonly state = new Map<string, Tensor>();
  step = 0;
  /** num_batches_tracked names: state the host increments, not fed to the graph. */
  private readonly counters: Set<string>;
  /** The learning rate fed to the step (`optimizer.lr`): a hyperparameter, not state (not checkpointed). */
  private lr: Tensor | null;
  private constructor(readonly program: TrainingProgram, private readonly compiled: CompiledModel) {
    const lr = program.graph.inputs.find((v) => v.name === LEARNING_RATE);
    this.lr = lr?.const ?? null;
    for (const v of program.next.keys()) this.state.set(v.name, v.const!);
    for (const v of program.graph.inputs) if (v.const && v !== lr && !this.state.has(v.name)) this.state.set(v.name, v.const);
    this.counters = new Set(program.manifest.entries.filter((e) => e.kind === 'num_batches_tracked').map((e) => e.name));
    for (const c of this.counters) this.state.set(c, Tensor.scalar('int64', 0));
  }

  static async create(program: TrainingProgram, backend = 'reference', seed = 0, threads?: number): Promise<Trainer> {
    const frozen = program.graph.initializers.filter((v) => v.role && !program.next.has(v));
    const lr = program.graph.initializers.filter((v) => v.name === LEARNING_RATE);
    stateAsInputs(program.graph, [...program.next.keys(), ...frozen, ...lr]);
    const compiled = await compileFor(backend, program.graph, { training: true, seed, threads });
    return new Trainer(program, compiled);
  }

  /** The learning rate of the next steps (a schedule sets it before each step). */
  get learningRate(): number { return this.lr ? this.lr.data[0] : NaN; }
  set learningRate(x: number) { if (this.lr) this.lr = Tensor.fromArray('float32', [], [x]); }

  /** One optimization step on a batch; returns the loss before the update (and the model's output). */
  async trainStep(x: Tensor, labels: Tensor): Promise<number> {
    return (await this.trainStepWithOutput(x, labels)).loss;
  }

  async trainStepWithOutput(x: Tensor, labels: Tensor): Promise<{ loss: number; output: Tensor }> {
    const { program } = this;
    const feeds: Record<string, Tensor> = { [program.input.name]: x, [program.labels.name]: labels };
    if (this.lr) feeds[LEARNING_RATE] = this.lr;
    for (const [name, t] of this.state) if (!this.counters.has(name)) feeds[name] = t;
    const out = await this.compiled.run(feeds);
    const loss = out[program.loss.name].data[0];
    if (!Number.isFinite(loss)) throw this.diverged(feeds, `loss is ${loss}`);
    for (const [s, n] of program.next) {
      if (!out[n.name].data.every(Number.isFinite)) throw this.diverged(feeds, `non-finite update of '${s.name}' (used by ${s.users.map((u) => `'${u.name}'`).slice(0, 2).join(', ')})`);
    }
    for (const [s, n] of program.next) this.state.set(s.name, out[n.name]);
    for (const c of this.counters) this.state.set(c, Tensor.scalar('int64', this.state.get(c)!.data[0] + 1));
    this.step++;
    return { loss, output: out[program.output.name] };
  }

  /**
   * LC067 for the step about to be taken, naming the layer: the step is re-run on the reference interpreter
   * (same semantics as every backend) to find the first node whose output holds NaN or Inf. Only on failure.
   */
  private diverged(feeds: Record<string, Tensor>, what: string): LayercError {
    let first: string | null = null;
    try {
      runGraph(this.program.graph, feeds, { training: true, onValue: (name, t) => { if (!first && isFloat(t.dtype) && !t.data.every(Number.isFinite)) first = name; } });
    } catch { /* the message below still names the step and the state */ }
    const node = first ? this.program.graph.value(first)?.producer : null;
    const where = node ? `; the first non-finite value is '${first}', output of node '${node.name}' (${node.op})` : '';
    return lcError('LC067', [this.step + 1, `${what}${where}`], node ? { node: node.name, op: node.op } : {});
  }

  /**
   * Replaces state from a checkpoint: all of it (parameters, running statistics, optimizer slots, counters)
   * or LC071 naming what is missing and what is not state of this run; `allowPartial` keeps the missing entries
   * at their initial values (with a warning). Shapes must agree (LC070).
   */
  loadState(tensors: Map<string, Tensor>, step: number, path = 'checkpoint', allowPartial = false): void {
    const { found } = matchState(this.program.manifest.entries, tensors, { file: path, model: `this training run (${this.program.graph.name})`, allowPartial });
    for (const [name, t] of found) {
      const cur = this.state.get(name)!;
      if (cur.shape.join() !== t.shape.join()) throw lcError('LC070', [path, `'${name}' has shape [${t.shape}], the model expects [${cur.shape}]`]);
      if (cur.dtype !== t.dtype) throw lcError('LC070', [path, `'${name}' is ${t.dtype}, the model expects ${cur.dtype}`]);
    }
    for (const [name, t] of found) this.state.set(name, t);
    this.step = step;
  }

  /** What the backend reports about the compiled step (JS: kernel and fallback counts). */
  get compileInfo(): Record<string, string | number> | undefined { return this.compiled.info; }

  async dispose(): Promise<void> { await this.compiled.dispose(); }
}
