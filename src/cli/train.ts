/**
 * Headless training: the same engine and config as the app, one JSON object per logged step
 * on stdout, then a summary line. With --compare, every run of a comparison link in turn and a
 * table of their final metrics. `npm run train -- --help` for the flags.
 */
import { getMethod } from '../methods/registry';
import { encodeExperiment, type Experiment } from '../state/url';
import { parseTrainArgs, TRAIN_USAGE, UsageError } from './args';
import { collapseVerdict, formatEvaluation, formatTable, trainExperiment, type RunResult } from './experiment';
import { quietTfjs, setupBackend } from '../engine/node/setup';

const withLogEvery = (experiment: Experiment, logEvery: number | null) =>
  logEvery === null ? experiment.values : { ...experiment.values, metricsEvery: logEvery };

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

  if (args.comparison) {
    const results: RunResult[] = [];
    for (const [i, run] of args.comparison.entries()) {
      const method = getMethod(run.experiment.methodId);
      process.stderr.write(`[${i + 1}/${args.comparison.length}] ${run.name}: ${method.title} on ${backend.name}, ` +
        `${run.experiment.values.totalSteps} steps, link: #${encodeExperiment(run.experiment)}\n`);
      const result = await trainExperiment(run.name, method, withLogEvery(run.experiment, args.logEvery), undefined, { evaluate: args.evaluate });
      process.stderr.write(`    ${result.msPerStep.toFixed(0)} ms/step, collapse: ${collapseVerdict(result.detector)}\n`);
      results.push(result);
    }
    process.stdout.write(`${formatTable(results)}\n`);
    return 0;
  }

  const method = getMethod(args.experiment.methodId);
  process.stderr.write(`${method.title} on ${backend.name} (${backend.adapter}), ${args.experiment.values.totalSteps} steps, ` +
    `link: #${encodeExperiment(args.experiment)}\n`);
  const result = await trainExperiment('run', method, withLogEvery(args.experiment, args.logEvery), (record) => {
    process.stdout.write(`${JSON.stringify({ step: record.step, ...record.values })}\n`);
  }, {
    evaluate: args.evaluate,
    onEvaluation: (record) => {
      process.stdout.write(`${JSON.stringify({ evaluation: true, ...record })}\n`);
      // The same scores for a reader, on stderr so stdout stays one JSON object per line.
      process.stderr.write(`${formatEvaluation(record)}\n`);
    },
  });
  process.stdout.write(`${JSON.stringify({
    summary: true, method: method.id, backend: backend.name, adapter: backend.adapter, steps: result.steps,
    msPerStep: Number(result.msPerStep.toFixed(2)), finalLoss: result.final.loss, final: result.final,
    collapse: result.detector.active, collapseEpisodes: result.detector.episodes,
    evaluation: result.evaluations.at(-1) ?? null,
  })}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
