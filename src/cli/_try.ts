import * as tf from '@tensorflow/tfjs';
import { getMethod } from '../methods/registry';
import { defaultValues } from '../methods/schema';
import { Trainer } from '../engine/trainer';
await tf.setBackend('cpu');
const m = getMethod('dino');
const preset = process.argv[2] ?? 'tiny';
const values = { ...defaultValues(m.settings), ...m.presets.find(p => p.id === preset)!.values };
const t = await Trainer.create(m, values);
const t0 = performance.now();
for (let i = 0; i < Number(process.argv[3] ?? 20); i++) {
  const r = t.runStep();
  if (r) { const rec = await r; console.log(rec.step, rec.values.loss.toFixed(4), rec.values.teacherEntropy.toFixed(3), rec.values.kl.toFixed(3), rec.values.embeddingStd.toFixed(3), tf.memory().numTensors, ((performance.now()-t0)/rec.step).toFixed(1)+'ms/step'); }
}
const p = await t.probe(); console.log(p.map(x => x.kind), (p[0] as any).attention.slice(0, 8));
t.dispose(); console.log('after dispose', tf.memory().numTensors);
