import { describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../export/safetensors';
import { findMethod } from '../methods/registry';
import { runFileFromTrainLog, isTrainLog } from './trainLog';
import { presetValues } from './url';

const values = presetValues(findMethod('byol')!, 'learn');
const header = JSON.stringify({ config: { methodId: 'byol', title: 'BYOL', link: 'http://x/#m=byol&p=learn&s=1', values }, world: 2, globalBatch: 8 });
const step = (n: number, loss: number, extra: Record<string, number> = {}) => JSON.stringify({ step: n, loss, learningRate: 0.001 * n, ...extra });
const weights = (at: number) => encodeSafetensors({ 'online.x': { shape: [2], data: new Float32Array([1, 2]) } }, { step: String(at) });

describe('a train.py log as a run', () => {
  it('reads the header, the steps (torchrun prefixes, repeats after a resume, gaps) and the weights', () => {
    const log = [
      'SimCLR: 2 process(es) on cpu', `[default0]:${header}`, `[default0]:${step(1, 4)}`, step(2, 3.5, { momentum: 0.9 }),
      step(2, 3.5), step(3, 3.2), '{"rank": 1, "checksum": [1, 2]}', '{"step": 4, "lo',
    ].join('\n');
    expect(isTrainLog(log)).toBe(true);
    const [run] = runFileFromTrainLog(log, weights(3), 'log.jsonl').runs;
    expect(run).toMatchObject({ name: 'PyTorch: BYOL ×2', methodId: 'byol', presetId: 'learn', step: 3 });
    expect(run.history.steps).toEqual([1, 2, 3]);
    expect(run.history.series.loss).toEqual([4, 3.5, 3.2]);
    expect(run.history.series.momentum).toEqual([Number.NaN, 0.9, Number.NaN]);
    expect(run.weights!['online.x'].data).toEqual(new Float32Array([1, 2]));
  });

  it('cuts the history to an older checkpoint, and refuses what does not fit', () => {
    const log = [header, step(1, 4), step(2, 3), step(3, 2)].join('\n');
    expect(runFileFromTrainLog(log, weights(2), 'a.jsonl').runs[0].history.steps).toEqual([1, 2]);
    expect(() => runFileFromTrainLog(log, weights(5), 'a.jsonl')).toThrow(/ends at step 3 but its weights are from step 5/);
    expect(() => runFileFromTrainLog(log, null, 'a.jsonl')).toThrow(/add the last.safetensors/);
    expect(() => runFileFromTrainLog(step(1, 2), weights(1), 'a.jsonl')).toThrow(/first line should name the experiment/);
    expect(() => runFileFromTrainLog(header, weights(1), 'a.jsonl')).toThrow(/no logged steps/);
    expect(() => runFileFromTrainLog(log.replace('"byol"', '"nope"'), weights(3), 'a.jsonl')).toThrow(/method this app does not have/);
    expect(() => runFileFromTrainLog(log, new Uint8Array([1, 2, 3]), 'a.jsonl')).toThrow(/weights that could not be read/);
    expect(isTrainLog('{"format": "ssl-playground-runs"}')).toBe(false);
  });
});
