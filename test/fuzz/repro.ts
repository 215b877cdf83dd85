// Replays one fuzz case printed by the campaign: `npx tsx test/fuzz/repro.ts onnx '<plan json>'`.
// Prints the mutated input (ONNX nodes or DSL text) and the outcome.
import onnx from 'onnx-proto';
import { runCase, type Kind } from './cases.ts';
import { applyOnnxPlan } from './mutate-onnx.ts';
import { applyDslPlan } from './mutate-dsl.ts';

const [kind, json] = process.argv.slice(2) as [Kind, string];
const plan = JSON.parse(json);
if (kind === 'onnx') {
  const g = onnx.onnx.ModelProto.toObject(onnx.onnx.ModelProto.decode(applyOnnxPlan(plan)), { longs: Number }).graph ?? {};
  for (const n of g.node ?? []) console.log(`${n.opType} ${n.name}: [${n.input}] -> [${n.output}]`);
  console.log('initializers:', (g.initializer ?? []).map((t: { name: string; dims: number[] }) => `${t.name}[${t.dims}]`).join(' '));
} else console.log(applyDslPlan(plan));
console.log(runCase(kind, plan));
