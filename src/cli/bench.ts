/**
 * The performance table: for each registered method and preset (default: tiny and default),
 * on each backend (default: webgpu through Dawn in Node, then cpu), on the fused kernels and on
 * the stock ops (webgpu only): time from building the run to its first finished step (shader
 * compilation included), the median ms per ordinary step after a warm-up, GPU dispatches,
 * GPU→CPU reads, tensors and bytes held per step.
 *   npm run bench -- [--backends webgpu,cpu] [--presets tiny,default] [--methods dino,loca]
 *                    [--fused both|on|off] [--steps N] [--warmup N] [--no-precompile] [--json]
 * Prints a table (and one line per method comparing the two paths), or JSON lines.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../engine/backend';
import { setPrecompile } from '../training/precompile';
import { Trainer } from '../training/trainer';
import { methods } from '../methods/registry';
import { presetValues } from '../state/url';
import { installCounters } from '../engine/node/counters';
import { quietTfjs, setupBackend } from '../engine/node/setup';

interface BenchArgs {
  backends: BackendName[];
  presets: string[];
  methods: string[] | null;
  fused: ('on' | 'off')[];
  steps: number;
  warmup: number;
  json: boolean;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { backends: ['webgpu', 'cpu'], presets: ['tiny', 'default'], methods: null, fused: ['on', 'off'], steps: 5, warmup: 2, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      return value;
    };
    const list = () => next().split(',').map((s) => s.trim()).filter(Boolean);
    const positive = (raw: string) => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive whole number, got "${raw}"`);
      return n;
    };
    if (flag === '--backends' || flag === '--backend') {
      const names = list();
      for (const name of names) if (name !== 'webgpu' && name !== 'cpu') throw new Error(`${flag} takes webgpu and cpu, got "${name}"`);
      args.backends = names as BackendName[];
    } else if (flag === '--presets' || flag === '--preset') args.presets = list();
    else if (flag === '--methods' || flag === '--method') {
      args.methods = list();
      for (const id of args.methods) if (!methods.some((m) => m.id === id)) throw new Error(`Unknown method "${id}"`);
    } else if (flag === '--fused') {
      const mode = next();
      if (mode !== 'both' && mode !== 'on' && mode !== 'off') throw new Error(`--fused takes both, on or off, got "${mode}"`);
      args.fused = mode === 'both' ? ['on', 'off'] : [mode];
    } else if (flag === '--steps') args.steps = positive(next());
    else if (flag === '--warmup') args.warmup = positive(next());
    else if (flag === '--json') args.json = true;
    else if (flag === '--no-precompile') setPrecompile(false);
    else throw new Error(`Unknown argument "${flag}"`);
  }
  return args;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface BenchRow {
  method: string;
  preset: string;
  backend: string;
  adapter: string;
  /** 'fused' or 'stock' (the fused kernels run on webgpu only). */
  path: string;
  firstStepMs: number;
  msPerStep: number;
  dispatchesPerStep: number;
  kernelsPerStep: number;
  readsPerStep: number;
  /** Most tensors alive after any measured step (flat from step to step when nothing leaks). */
  peakTensors: number;
  /** Bytes the backend holds for tensors after the steps (numBytesInGPU on webgpu). */
  gpuBytes: number;
}

async function benchOne(method: (typeof methods)[number], preset: string, fused: boolean, args: BenchArgs,
  counters: ReturnType<typeof installCounters>, backend: { name: string; adapter: string }): Promise<BenchRow> {
  // Metrics only at the very end, probes never: the measured steps are ordinary steps.
  const values = { ...presetValues(method, preset), metricsEvery: 100000, probeEvery: 100000, fusedKernels: fused };
  const started = performance.now();
  const trainer = await Trainer.create(method, values);
  const sync = async () => {
    // A one-element read waits for all queued GPU work: the timing covers execution.
    const probe = tf.tidy(() => tf.sum(trainer.data.probeImages));
    await probe.data();
    probe.dispose();
  };
  try {
    void trainer.runStep(); // no readback wanted here
    await sync();
    const firstStepMs = performance.now() - started;
    for (let i = 1; i < args.warmup; i++) void trainer.runStep();
    await sync();
    const times: number[] = [];
    let peakTensors = 0;
    const before = counters.snapshot();
    for (let i = 0; i < args.steps; i++) {
      const stepStart = performance.now();
      void trainer.runStep();
      await sync();
      times.push(performance.now() - stepStart);
      peakTensors = Math.max(peakTensors, tf.memory().numTensors);
    }
    const after = counters.snapshot();
    const memory = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
    return {
      method: method.id, preset, backend: backend.name, adapter: backend.adapter, path: fused && backend.name === 'webgpu' ? 'fused' : 'stock',
      firstStepMs: Math.round(firstStepMs),
      msPerStep: Number(median(times).toFixed(1)),
      dispatchesPerStep: Math.round((after.dispatches - before.dispatches) / args.steps),
      kernelsPerStep: Math.round((after.kernels - before.kernels) / args.steps),
      readsPerStep: (after.reads - before.reads - args.steps) / args.steps, // less the timing reads above
      peakTensors,
      gpuBytes: memory.numBytesInGPU ?? memory.numBytes,
    };
  } finally {
    trainer.dispose();
  }
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  quietTfjs();
  const rows: BenchRow[] = [];
  for (const name of args.backends) {
    const backend = await setupBackend(name);
    const counters = installCounters();
    const paths = backend.name === 'webgpu' ? args.fused : ['off' as const];
    for (const method of methods) {
      if (args.methods && !args.methods.includes(method.id)) continue;
      for (const preset of args.presets) {
        if (!method.presets.some((p) => p.id === preset)) continue;
        for (const path of paths) {
          const row = await benchOne(method, preset, path === 'on', args, counters, backend);
          rows.push(row);
          if (args.json) process.stdout.write(`${JSON.stringify(row)}\n`);
          else process.stderr.write(`${row.method} ${row.preset} ${row.backend} ${row.path}: ${row.msPerStep} ms/step, ${row.dispatchesPerStep} dispatches\n`);
        }
      }
    }
    counters.uninstall();
  }
  if (args.json) return;
  console.table(rows.map(({ adapter: _adapter, ...row }) => row));
  for (const fast of rows.filter((r) => r.path === 'fused')) {
    const stock = rows.find((r) => r.path === 'stock' && r.method === fast.method && r.preset === fast.preset && r.backend === fast.backend);
    if (!stock) continue;
    console.log(`${fast.method} ${fast.preset} on ${fast.backend}: dispatches ${stock.dispatchesPerStep} → ${fast.dispatchesPerStep} ` +
      `(${(fast.dispatchesPerStep / stock.dispatchesPerStep).toFixed(2)}×), ms/step ${stock.msPerStep} → ${fast.msPerStep} ` +
      `(${(fast.msPerStep / stock.msPerStep).toFixed(2)}×)`);
  }
}

if (process.argv[1] && /bench\.ts$/.test(process.argv[1])) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
