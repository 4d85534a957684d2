/**
 * One cell of the study: a method at one setting set and seed, trained with the app's engine
 * (the same Trainer the worker drives), then evaluated — trained and untrained — on the study's
 * large held-out split. No labels reach training: the evaluation data is built after it.
 */
import { Trainer } from '../../training/trainer';
import { evaluateInstance } from '../../training/evaluate';
import { disposeEvaluationData, studyEvaluationData } from '../../engine/data/studyData';
import { readCommon } from '../../engine/runConfig';
import type { EvaluationScores } from '../../methods/evaluation';
import type { SettingValues } from '../../methods/schema';
import type { MethodDescription } from '../../methods/types';

/** The label fractions of the study's fine-tuning and segmentation probe (1 % and 10 %). */
export const STUDY_FRACTIONS = [0.01, 0.1] as const;

export interface CellScores extends EvaluationScores {
  /** LOCA: top-1 position accuracy on held-out images (η as set). */
  position?: number;
}

export interface CellResult {
  method: string;
  seed: number;
  steps: number;
  /** Training wall time (s) and its per-step mean (ms); evaluation not included. */
  trainSeconds: number;
  msPerStep: number;
  evalSeconds: number;
  trained: CellScores;
  untrained: CellScores;
  finalLoss: number;
  backend: string;
}

export async function runCell(
  method: MethodDescription, values: SettingValues, backend: string,
  onProgress: (done: number, total: number, stage: string) => void = () => {},
): Promise<CellResult> {
  const common = readCommon(values);
  const trainer = await Trainer.create(method, { ...values, metricsEvery: Math.min(50, common.totalSteps), evalEvery: 0 });
  let finalLoss = NaN;
  try {
    const total = common.totalSteps;
    const started = performance.now();
    let pending: Promise<void> | null = null;
    while (trainer.step < total) {
      // An event-loop turn per step: the worker's IPC events (its study gone) only arrive in one,
      // and the readbacks alone resolve as microtasks. setImmediate runs right after the I/O poll,
      // without setTimeout's 1 ms floor, so a dead study stops its worker within one step.
      await new Promise((resolve) => setImmediate(resolve));
      const readback = trainer.runStep(trainer.step + 1 === total);
      if (readback) {
        if (pending) await pending;
        pending = readback.then((record) => {
          finalLoss = record.values.loss;
          onProgress(record.step, total, 'training');
        });
      }
    }
    if (pending) await pending;
    const trainSeconds = (performance.now() - started) / 1000;

    const evalStarted = performance.now();
    const data = studyEvaluationData(common);
    const untrainedInstance = trainer.untrained();
    try {
      onProgress(total, total, 'evaluating the trained network');
      const trained: CellScores = await evaluateInstance(trainer.instance, data, STUDY_FRACTIONS);
      onProgress(total, total, 'evaluating the untrained network');
      const untrained: CellScores = await evaluateInstance(untrainedInstance, data, STUDY_FRACTIONS);
      if (trainer.instance.positionAccuracyOn && untrainedInstance.positionAccuracyOn) {
        onProgress(total, total, 'position accuracy on held-out images');
        trained.position = await trainer.instance.positionAccuracyOn(data.testImages, true);
        untrained.position = await untrainedInstance.positionAccuracyOn(data.testImages, true);
      }
      return {
        method: method.id, seed: common.seed, steps: total, trainSeconds, msPerStep: (trainSeconds * 1000) / total,
        evalSeconds: (performance.now() - evalStarted) / 1000, trained, untrained, finalLoss, backend,
      };
    } finally {
      untrainedInstance.dispose();
      disposeEvaluationData(data);
    }
  } finally {
    trainer.dispose();
  }
}
