import { cosineAt } from '../../engine/schedules';
import type { DinoHeadConfig } from '../../engine/nn/heads';
import type { ViTConfig } from '../../engine/nn/vit';
import { readCommon } from '../../engine/runConfig';
import type { SettingValues } from '../schema';
import { locaSizes, type LocaSizes } from './sizes';

/** LOCA's settings, typed, with the per-step schedules of scenic projects/loca. */
export interface LocaConfig {
  vit: ViTConfig;
  head: DinoHeadConfig;
  sizes: LocaSizes;
  maskRatio: number;
  referenceScaleMin: number;
  queryScaleMin: number;
  focalQueries: number;
  focalSize: number;
  focalScaleMin: number;
  focalScaleMax: number;
  colorJitter: number;
  grayscaleProbability: number;
  solarizeProbability: number;
  clusterLoss: boolean;
  meanEntropy: boolean;
  teacherTemperature: number;
  studentTemperature: number;
  sinkhornIterations: number;
  weightDecay: number;
  gradientClip: number;
  scheduleAt(step: number): { learningRate: number; teacherMomentum: number };
}

export function readLocaConfig(values: SettingValues): LocaConfig {
  const common = readCommon(values);
  const n = (name: string) => Number(values[name]);
  const b = (name: string) => Boolean(values[name]);
  // trainer.py: lr = base · batch / 1024, linear warm-up from 0, cosine to the final lr.
  const peakLearningRate = (n('learningRate') * common.batchSize) / 1024;
  const totalSteps = common.totalSteps;
  return {
    vit: {
      imageSize: common.imageSize, patchSize: n('patchSize'), width: n('width'), depth: n('depth'),
      heads: n('heads'), mlpRatio: n('mlpRatio'),
    },
    // ProjectionHead: Dense–GELU–Dense–GELU–Dense, L2 normalise, weight-normalised prototypes
    // without a gain: DINO's head with a fixed-norm last layer.
    head: { inputDim: n('width'), hiddenDim: n('headHidden'), bottleneckDim: n('bottleneck'), outputDim: n('outputDim'), normLastLayer: true },
    sizes: locaSizes(values),
    maskRatio: n('maskRatio'),
    referenceScaleMin: n('referenceScaleMin'),
    queryScaleMin: n('queryScaleMin'),
    focalQueries: n('focalQueries'),
    focalSize: n('focalSize'),
    focalScaleMin: n('focalScaleMin'),
    focalScaleMax: n('focalScaleMax'),
    colorJitter: n('colorJitter'),
    grayscaleProbability: n('grayscaleProbability'),
    solarizeProbability: n('solarizeProbability'),
    clusterLoss: b('clusterLoss'),
    meanEntropy: b('meanEntropy'),
    teacherTemperature: n('teacherTemperature'),
    studentTemperature: n('studentTemperature'),
    sinkhornIterations: n('sinkhornIterations'),
    weightDecay: n('weightDecay'),
    gradientClip: n('gradientClip'),
    scheduleAt(step) {
      return {
        learningRate: cosineAt({ base: peakLearningRate, final: n('minLearningRate'), totalSteps, warmupSteps: n('warmupSteps') }, step),
        // m(t) = 1 − (1 − m₀)(1 + cos(π t / T)) / 2, as the config's cosine momentum schedule.
        teacherMomentum: cosineAt({ base: n('teacherMomentum'), final: 1, totalSteps }, step),
      };
    },
  };
}
