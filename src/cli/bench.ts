/**
 * The performance baseline: for each registered method's preset (default: `default`), the
 * median ms per step, GPU dispatches per step and GPU→CPU reads per step, measured on
 * ordinary (non-logging) steps after a warm-up that compiles the shaders.
 *   npm run bench -- [--backend webgpu|cpu] [--preset id] [--steps N] [--warmup N] [--json]
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../engine/backend';
import { Trainer } from '../engine/trainer';
import { methods } from '../methods/registry';
import { presetValues } from '../state/url';
import { installCounters } from './counters';
import { quietTfjs, setupBackend } from './setup';

interface BenchArgs {
  backend: BackendName;
  preset: string;
  steps: number;
  warmup: number;
  json: boolean;
}

function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { backend: 'webgpu', preset: 'default', steps: 5, warmup: 2, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      return value;
    };
    const positive = (raw: string) => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive whole number, got "${raw}"`);
      return n;
    };
    if (flag === '--backend') {
      const name = next();
      if (name !== 'webgpu' && name !== 'cpu') throw new Error(`--backend must be webgpu or cpu, got "${name}"`);
      args.backend = name;
    } else if (flag === '--preset') args.preset = next();
    else if (flag === '--steps') args.steps = positive(next());
    else if (flag === '--warmup') args.warmup = positive(next());
    else if (flag === '--json') args.json = true;
    else throw new Error(`Unknown argument "${flag}"`);
  }
  return args;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  quietTfjs();
  const backend = await setupBackend(args.backend);
  const counters = installCounters();
  const rows = [];
  for (const method of methods) {
    if (!method.presets.some((p) => p.id === args.preset)) continue;
    // Metrics only at the very end, probes never: the measured steps are ordinary steps.
    const values = { ...presetValues(method, args.preset), metricsEvery: 100000, probeEvery: 100000 };
    const trainer = await Trainer.create(method, values);
    const sync = async () => {
      // A one-element read waits for all queued GPU work: the timing covers execution.
      const probe = tf.tidy(() => tf.sum(trainer.data.probeImages));
      await probe.data();
      probe.dispose();
    };
    for (let i = 0; i < args.warmup; i++) trainer.runStep();
    await sync();
    const times: number[] = [];
    const before = counters.snapshot();
    for (let i = 0; i < args.steps; i++) {
      const started = performance.now();
      trainer.runStep();
      await sync();
      times.push(performance.now() - started);
    }
    const after = counters.snapshot();
    const syncReads = args.steps; // the timing reads above, not the step's
    rows.push({
      method: method.id,
      preset: args.preset,
      backend: backend.name,
      adapter: backend.adapter,
      msPerStep: Number(median(times).toFixed(1)),
      dispatchesPerStep: Math.round((after.dispatches - before.dispatches) / args.steps),
      kernelsPerStep: Math.round((after.kernels - before.kernels) / args.steps),
      readsPerStep: (after.reads - before.reads - syncReads) / args.steps,
      tensorsAfter: tf.memory().numTensors,
    });
    trainer.dispose();
  }
  if (args.json) {
    for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    return;
  }
  console.table(rows);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
