// Replays one fuzz case printed by the campaign: `npx tsx test/fuzz/repro.ts onnx|dsl|tensor|runtime|wire|dslnum '<plan json>'`.
// Prints the mutated input (ONNX nodes, DSL text, tensor file bytes in hex) and the outcome.
import onnx from 'onnx-proto';
import { runCase, type Kind } from './cases.ts';
import { applyOnnxPlan } from './mutate-onnx.ts';
import { applyDslPlan } from './mutate-dsl.ts';
import { applyTensorPlan } from './mutate-tensor.ts';
import { applyDslNumPlan, applyRuntimePlan, applyWirePlan } from './crafted.ts';

const [kind, json] = process.argv.slice(2) as [Kind, string];
const plan = JSON.parse(json);
if (kind === 'onnx') {
  const g = onnx.onnx.ModelProto.toObject(onnx.onnx.ModelProto.decode(applyOnnxPlan(plan)), { longs: Number }).graph ?? {};
  for (const n of g.node ?? []) console.log(`${n.opType} ${n.name}: [${n.input}] -> [${n.output}]`);
  console.log('initializers:', (g.initializer ?? []).map((t: { name: string; dims: number[] }) => `${t.name}[${t.dims}]`).join(' '));
} else if (kind === 'dsl') console.log(applyDslPlan(plan));
else if (kind === 'dslnum') console.log(applyDslNumPlan(plan).slice(0, 2000));
else if (kind === 'runtime') console.log(Object.entries(applyRuntimePlan(plan).feeds).map(([k, t]) => `${k} = [${Array.from(t.data)}]`).join('\n'));
else if (kind === 'wire') console.log(Buffer.from(applyWirePlan(plan).subarray(0, 200)).toString('hex'));
else console.log(Buffer.from(applyTensorPlan(plan)).toString('hex').slice(0, 400));
console.log(runCase(kind, plan));
