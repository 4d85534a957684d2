import * as tf from '@tensorflow/tfjs';
import { getMethod } from '../methods/registry';
import { defaultValues } from '../methods/schema';
import { Trainer } from '../engine/trainer';
await tf.setBackend('cpu');
const m = getMethod('dino');
const values = { ...defaultValues(m.settings), ...m.presets.find(p => p.id === 'tiny')!.values };
const t = await Trainer.create(m, values);
t.runStep();
const prof = await tf.profile(() => { t.runStep(); });
const agg = new Map<string, [number, number]>();
for (const k of prof.kernels) { const a = agg.get(k.name) ?? [0,0]; a[0]++; a[1] += (k.kernelTimeMs as number); agg.set(k.name, a); }
console.log('kernels', prof.kernels.length);
console.log([...agg].sort((a,b)=>b[1][1]-a[1][1]).slice(0,15).map(([n,[c,ms]])=>`${n} x${c} ${ms.toFixed(1)}ms`).join('\n'));
