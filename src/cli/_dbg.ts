import * as tf from '@tensorflow/tfjs';
import { getMethod } from '../methods/registry';
import { presetValues } from '../state/url';
import { Trainer } from '../engine/trainer';
await tf.setBackend('cpu');
const m = getMethod('dino');
const t = await Trainer.create(m, { ...presetValues(m, 'tiny'), learningRate: 0.05, warmupSteps: 0 });
const snap = async () => { const o: Record<string, Float32Array> = {}; for (const [k, v] of Object.entries(t.instance.save())) o[k] = (await v.data()).slice() as Float32Array; return o; };
const a = await snap();
for (let i = 0; i < 3; i++) t.runStep();
const b = await snap();
for (const k of Object.keys(a)) { if (!k.startsWith('student') && k !== 'center') continue; let d = 0, n = 0; for (let i = 0; i < a[k].length; i++) { d += (a[k][i] - b[k][i]) ** 2; n += a[k][i] ** 2; } console.error(k, Math.sqrt(d).toExponential(2), Math.sqrt(n).toExponential(2)); }
