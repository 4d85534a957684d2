/**
 * A PyTorch run, brought back: the JSON-lines log of an exported train.py (its first line names
 * the experiment, then one line per logged step, the metric names the app charts) and the
 * `last.safetensors` its run wrote, as a run file the app imports like its own — the run opens
 * beside the browser's, its loss on the same charts, paused where PyTorch stopped, and it can
 * train on here. Strict like the run file: what does not fit is refused with the reason.
 */
import { decodeSafetensors } from '../export/safetensors';
import { findMethod } from '../methods/registry';
import { decodeRunFile, encodeRunFile, RUN_FILE_FORMAT, RUN_FILE_VERSION, RunFileError, type RunFile } from './runFile';
import { decodeExperiment } from './url';

interface LogHeader {
  config: { methodId: string; title?: string; link?: string; values: Record<string, unknown> };
  world?: number;
  globalBatch?: number;
}

/** Reads the log's lines; torchrun's tee prefix ("[default0]:") is dropped. */
function parseLines(text: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\[default\d+\]:/, '').trim();
    if (!line.startsWith('{')) continue; // torchrun's and Python's own messages
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A line cut short (an interrupted run): skipped, the rest is still a log.
    }
  }
  return lines;
}

/** True when `text` looks like an exported train.py's log (its first JSON line names the experiment). */
export function isTrainLog(text: string): boolean {
  const first = parseLines(text.slice(0, 20_000))[0];
  return Boolean(first && typeof first.config === 'object');
}

export function runFileFromTrainLog(logText: string, safetensors: Uint8Array | null, fileName: string): RunFile {
  const fail = (message: string): never => {
    throw new RunFileError(message);
  };
  const lines = parseLines(logText);
  const header = lines.find((line) => typeof line.config === 'object') as LogHeader | undefined;
  if (!header) return fail('is not the log of an exported train.py: its first line should name the experiment ({"config": …}).');
  const method = findMethod(header.config.methodId) ?? fail(`names a method this app does not have ("${header.config.methodId}").`);
  const steps: number[] = [];
  const series: Record<string, number[]> = {};
  for (const line of lines) {
    if (typeof line.step !== 'number') continue;
    if (steps.length > 0 && line.step <= steps[steps.length - 1]) continue; // a resumed run logs its last steps again
    steps.push(line.step);
    for (const [name, value] of Object.entries(line)) {
      if (name === 'step' || typeof value !== 'number') continue;
      series[name] ??= new Array<number>(steps.length - 1).fill(Number.NaN);
      series[name].push(value);
    }
    for (const values of Object.values(series)) if (values.length < steps.length) values.push(Number.NaN);
  }
  if (steps.length === 0) fail('has no logged steps.');
  let step = steps[steps.length - 1];
  let weights = null;
  if (safetensors) {
    let decoded;
    try {
      decoded = decodeSafetensors(safetensors);
    } catch (error) {
      return fail(`comes with weights that could not be read (${(error as Error).message}).`);
    }
    weights = decoded.tensors;
    const saved = Number(decoded.metadata.step);
    if (Number.isFinite(saved) && saved !== step) {
      if (saved > step) fail(`ends at step ${step} but its weights are from step ${saved}: pick the log of the same run.`);
      // The checkpoint is older than the last logged step: the run is where its weights are.
      const keep = steps.filter((s) => s <= saved).length;
      steps.length = keep;
      for (const values of Object.values(series)) values.length = keep;
      step = saved;
    }
  } else {
    fail(`trained ${step} steps; add the last.safetensors its run wrote (in --out) to import it with its weights.`);
  }
  const linked = header.config.link ? decodeExperiment(header.config.link.slice(header.config.link.indexOf('#'))).experiment : null;
  const sps = series.stepsPerSecond?.[series.stepsPerSecond.length - 1];
  const file: RunFile = {
    format: RUN_FILE_FORMAT, version: RUN_FILE_VERSION, exportedAt: new Date().toISOString(), lesson: null, focus: 0, imageSets: [],
    runs: [{
      name: `PyTorch: ${method.title}${header.world && header.world > 1 ? ` ×${header.world}` : ''}`,
      methodId: method.id, presetId: linked?.methodId === method.id ? linked.presetId : 'default',
      values: header.config.values as RunFile['runs'][number]['values'],
      step, elapsedMs: sps && sps > 0 ? (step / sps) * 1000 : 0,
      history: { steps, series }, evaluations: [], weights,
    }],
  };
  // Through the app's own strict reader: settings, weights and history are checked as for any export.
  try {
    return decodeRunFile(encodeRunFile(file));
  } catch (error) {
    return fail(`${fileName}: ${(error as Error).message}`);
  }
}
