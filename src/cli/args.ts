import type { BackendName } from '../engine/backend';
import { getMethod, methods } from '../methods/registry';
import { parseSettingValue, type SettingValues } from '../methods/schema';
import { decodeComparison, decodeExperiment, defaultExperiment, linkVersionProblem, type Experiment } from '../state/url';

export class UsageError extends Error {}

export interface TrainArgs {
  experiment: Experiment;
  /** --compare: every run of a comparison link (with --steps / --set applied to each), else null. */
  comparison: { name: string; experiment: Experiment }[] | null;
  backend: BackendName;
  logEvery: number | null;
  /** --eval: evaluate the trained run (and print the scores); `npm run eval` sets it. */
  evaluate: boolean;
  notices: string[];
}

export const TRAIN_USAGE = `Usage: npm run train -- [--url '<link or hash>'] [--method ${methods.map((m) => m.id).join('|')}]
         [--preset <id>] [--set key=value ...] [--steps N] [--seed S]
         [--backend cpu|wasm|webgpu] [--log-every K] [--eval]
       npm run eval -- (the same flags: trains, then evaluates)
       npm run train -- --compare '<comparison link>' [--steps N] [--set key=value ...] [--backend ...]
Keys for --set are setting names (learningRate) or URL keys (lr). --compare trains every run of
a comparison link in turn and prints their final metrics as a table. --eval (or the
setting evalEvery, URL key ev) evaluates the frozen features: kNN and linear-probe accuracy,
segmentation-probe mIoU at 1/10/100% of the masks and attention Jaccard, each next to the
untrained network's, printed as JSON (with --compare: as columns of the table).`;

/** Parses argv strictly: unknown flags, missing values and bad settings are errors. */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  let url: string | null = null;
  let compare: string | null = null;
  let methodId: string | null = null;
  let presetId: string | null = null;
  const sets: string[] = [];
  let steps: string | null = null;
  let seed: string | null = null;
  let backend: BackendName = 'cpu';
  let logEvery: number | null = null;
  let evaluate = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--url': url = value(); break;
      case '--compare': compare = value(); break;
      case '--method': methodId = value(); break;
      case '--preset': presetId = value(); break;
      case '--set': sets.push(value()); break;
      case '--steps': steps = value(); break;
      case '--seed': seed = value(); break;
      case '--eval': evaluate = true; break;
      case '--backend': {
        const name = value();
        if (name !== 'cpu' && name !== 'webgpu' && name !== 'wasm') throw new UsageError(`--backend must be cpu, wasm or webgpu, got "${name}"`);
        backend = name;
        break;
      }
      case '--log-every': {
        const raw = value();
        const parsed = Number(raw);
        if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--log-every must be a positive whole number, got "${raw}"`);
        logEvery = parsed;
        break;
      }
      case '--help': case '-h': throw new UsageError('');
      default: throw new UsageError(`Unknown argument "${flag}"`);
    }
  }

  const notices: string[] = [];
  if (compare !== null) {
    if (url !== null || methodId !== null || presetId !== null || seed !== null) {
      throw new UsageError('--compare takes its runs from the link: --url, --method, --preset and --seed do not apply');
    }
    const decoded = decodeComparison(compare);
    if (decoded.refused) throw new UsageError(`Bad --compare link: ${decoded.refused}`);
    if (decoded.notices.length > 0) throw new UsageError(`Bad --compare link: ${decoded.notices.join(' ')}`);
    const comparison = decoded.comparison.runs.map((run, i) => ({
      name: run.name ?? `run ${i + 1}`,
      experiment: applyOverrides(run.experiment, null, sets, steps, null),
    }));
    return { experiment: comparison[0].experiment, comparison, backend, logEvery, evaluate, notices };
  }
  let experiment: Experiment;
  if (url !== null) {
    const refused = linkVersionProblem(url.slice(url.indexOf('#') + 1));
    if (refused) throw new UsageError(`Bad --url: ${refused}`);
    const decoded = decodeExperiment(url);
    // On the command line a bad link is an error, not a notice: a script should not train
    // something other than what it asked for.
    if (decoded.notices.length > 0) throw new UsageError(`Bad --url: ${decoded.notices.join(' ')}`);
    experiment = decoded.experiment;
    if (methodId !== null && methodId !== experiment.methodId) {
      throw new UsageError(`--method ${methodId} contradicts the link's method ${experiment.methodId}`);
    }
  } else {
    if (methodId !== null && !methods.some((m) => m.id === methodId)) {
      throw new UsageError(`Unknown method "${methodId}". Known: ${methods.map((m) => m.id).join(', ')}`);
    }
    experiment = defaultExperiment(methodId ?? undefined);
  }
  return { experiment: applyOverrides(experiment, presetId, sets, steps, seed), comparison: null, backend, logEvery, evaluate, notices };
}

/** --preset, --set, --steps and --seed on top of an experiment; errors are UsageErrors. */
function applyOverrides(
  experiment: Experiment, presetId: string | null, sets: readonly string[], steps: string | null, seed: string | null,
): Experiment {
  const method = getMethod(experiment.methodId);
  if (presetId !== null) {
    const preset = method.presets.find((p) => p.id === presetId);
    if (!preset) throw new UsageError(`Unknown preset "${presetId}". Known: ${method.presets.map((p) => p.id).join(', ')}`);
    experiment = { ...experiment, presetId, values: { ...experiment.values, ...preset.values } };
  }
  const values: SettingValues = { ...experiment.values };
  const assign = (key: string, raw: string) => {
    const setting = method.settings.find((s) => s.name === key || s.urlKey === key);
    if (!setting) throw new UsageError(`Unknown setting "${key}" for ${method.id}`);
    try {
      values[setting.name] = parseSettingValue(setting, raw);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
  for (const entry of sets) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects key=value, got "${entry}"`);
    assign(entry.slice(0, eq), entry.slice(eq + 1));
  }
  if (steps !== null) assign('totalSteps', steps);
  if (seed !== null) assign('seed', seed);
  const problems = method.validate(values);
  if (problems.length > 0) throw new UsageError(problems.join(' '));
  if (values.dataset !== 'shapes') {
    throw new UsageError(`The dataset "${String(values.dataset)}" is one of your image sets: those are kept in the browser that added them, and the CLI trains on shapes.`);
  }
  return { ...experiment, values };
}
