/**
 * When does a lesson's difference show? (The answers are kept in methods/lessonTimings.json.) Trains every run of every lesson (as the app opens it:
 * the lesson's preset and changes, one seed) on the CPU, records the lesson's metric at every
 * step, and prints, per lesson, the first step from which every broken run's gap to the first
 * run stays above half of its gap at the end. The numbers are the `showsAfter` of each lesson
 * kept in methods/lessonTimings.json with `--out` (merged: lessons not run keep their entries).
 * `npm run lessons -- [--seed 1] [--lessons id,id] [--out src/methods/lessonTimings.json]`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { methods } from '../methods/registry';
import type { LessonTimings } from '../methods/lessonTimings';
import { presetValues } from '../state/url';
import { quietTfjs, setupBackend } from '../engine/node/setup';
import { trainExperiment } from './experiment';

/** Trailing mean over `window` records (per-batch metrics are noisy; the charts are read the same way, by eye). */
export function smooth(values: readonly number[], window: number): number[] {
  return values.map((_, i) => {
    const part = values.slice(Math.max(0, i - window + 1), i + 1).filter(Number.isFinite);
    return part.length ? part.reduce((a, b) => a + b, 0) / part.length : NaN;
  });
}

/**
 * The first step from which the smoothed gap |broken − healthy| stays at least half its final
 * value; null when there is no clear difference: a final gap under twice the noise of a
 * smoothed value (the healthy run's step-to-step spread over its last fifth, around its smoothed
 * curve, divided by √window).
 */
export function showsAfter(steps: readonly number[], healthy: readonly number[], broken: readonly number[], window = 10): number | null {
  const h = smooth(healthy, window);
  const b = smooth(broken, window);
  const gap = steps.map((_, i) => Math.abs(b[i] - h[i]));
  const final = gap.at(-1) ?? 0;
  const tail = Math.floor(steps.length * 0.8);
  const residuals = healthy.slice(tail).map((v, i) => v - h[tail + i]).filter(Number.isFinite);
  const noise = Math.sqrt(residuals.reduce((a, r) => a + r * r, 0) / Math.max(1, residuals.length));
  if (!(final > (2 * noise) / Math.sqrt(window))) return null;
  let from = steps.length - 1;
  for (let i = steps.length - 1; i >= 0; i--) {
    if (!(gap[i] >= final / 2)) break;
    from = i;
  }
  return steps[from] ?? 0;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const seed = Number(args[args.indexOf('--seed') + 1] ?? 1) || 1;
  const only = args.includes('--lessons') ? args[args.indexOf('--lessons') + 1].split(',') : null;
  const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : null;
  const timings: LessonTimings = out && existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { measured: '', seed, lessons: {} };
  quietTfjs();
  await setupBackend('cpu');
  for (const method of methods) {
    for (const lesson of method.lessons) {
      if (only && !only.includes(lesson.id)) continue;
      const series: { steps: number[]; values: number[] }[] = [];
      for (const run of lesson.runs) {
        const values = { ...presetValues(method, run.preset), ...run.values, seed, metricsEvery: 1 };
        const steps: number[] = [];
        const metric: number[] = [];
        await trainExperiment(run.name, method, values, (record) => {
          steps.push(record.step);
          metric.push(record.values[lesson.metric]);
        });
        series.push({ steps, values: metric });
      }
      const [healthy, ...broken] = series;
      const each = broken.map((b) => showsAfter(healthy.steps, healthy.values, b.values));
      const when = each.some((w) => w === null) ? null : Math.max(...(each as number[]));
      const finals = series.map((s) => s.values.at(-1)?.toPrecision(3)).join(' vs ');
      process.stdout.write(`${JSON.stringify({ method: method.id, lesson: lesson.id, metric: lesson.metric, steps: healthy.steps.at(-1), showsAfter: when, finals })}\n`);
      timings.lessons[lesson.id] = { showsAfter: when, steps: healthy.steps.at(-1) ?? 0, finals };
      if (out) writeFileSync(out, `${JSON.stringify({ ...timings, measured: new Date().toISOString().slice(0, 10), seed }, null, 2)}\n`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
