/**
 * Headless training: the same engine and config as the app, one JSON object per logged step
 * on stdout, then a summary line. `npm run train -- --help` for the flags.
 */
import { Trainer } from '../engine/trainer';
import { getMethod } from '../methods/registry';
import { encodeExperiment } from '../state/url';
import { parseTrainArgs, TRAIN_USAGE, UsageError } from './args';
import { quietTfjs, setupBackend } from './setup';

async function main(): Promise<number> {
  let args;
  try {
    args = parseTrainArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message) process.stderr.write(`error: ${error.message}\n`);
      process.stderr.write(`${TRAIN_USAGE}\n`);
      return error.message ? 2 : 0;
    }
    throw error;
  }
  quietTfjs();
  const backend = await setupBackend(args.backend);
  const method = getMethod(args.experiment.methodId);
  const values = { ...args.experiment.values };
  if (args.logEvery !== null) values.metricsEvery = args.logEvery;
  const trainer = await Trainer.create(method, values);
  const total = trainer.common.totalSteps;
  process.stderr.write(`${method.title} on ${backend.name} (${backend.adapter}), ${total} steps, link: #${encodeExperiment(args.experiment)}\n`);
  const started = performance.now();
  let last: Record<string, number> = {};
  let pending: Promise<void> | null = null;
  while (trainer.step < total) {
    const readback = trainer.runStep();
    if (readback) {
      // Keep one window in flight: print the previous window while this one computes.
      if (pending) await pending;
      pending = readback.then((record) => {
        last = record.values;
        process.stdout.write(`${JSON.stringify({ step: record.step, ...record.values })}\n`);
      });
    }
  }
  const tail = trainer.flushMetrics();
  if (pending) await pending;
  if (tail) {
    const record = await tail;
    last = record.values;
    process.stdout.write(`${JSON.stringify({ step: record.step, ...record.values })}\n`);
  }
  const elapsed = performance.now() - started;
  process.stdout.write(`${JSON.stringify({
    summary: true, method: method.id, backend: backend.name, adapter: backend.adapter, steps: trainer.step,
    msPerStep: Number((elapsed / trainer.step).toFixed(2)), finalLoss: last.loss, final: last,
  })}\n`);
  trainer.dispose();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
