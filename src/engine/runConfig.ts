/**
 * The run-level settings every method shares (data, length, cadences, batch), typed. The
 * schema that describes them for the page lives in methods/common.ts; the engine only reads
 * values, so it does not depend on the methods layer.
 */
export type RunValues = Record<string, number | boolean | string>;

/** The common settings, read with their types. */
export interface CommonValues {
  seed: number;
  totalSteps: number;
  metricsEvery: number;
  probeEvery: number;
  dataset: string;
  imageSize: number;
  datasetSize: number;
  distractors: boolean;
  /** Shapes' backgrounds: 'hard' (textured) or 'easy' (a gentle gradient). */
  difficulty: 'easy' | 'hard';
  batchSize: number;
  fusedKernels: boolean;
}

export function readCommon(values: RunValues): CommonValues {
  return {
    seed: Number(values.seed),
    totalSteps: Number(values.totalSteps),
    metricsEvery: Number(values.metricsEvery),
    probeEvery: Number(values.probeEvery),
    dataset: String(values.dataset),
    imageSize: Number(values.imageSize),
    datasetSize: Number(values.datasetSize),
    distractors: Boolean(values.distractors),
    difficulty: values.difficulty === 'easy' ? 'easy' : 'hard',
    batchSize: Number(values.batchSize),
    fusedKernels: values.fusedKernels === undefined ? true : Boolean(values.fusedKernels),
  };
}
