import { cosineAt } from '../../engine/schedules';
import type { DinoHeadConfig } from '../../engine/nn/heads';
import type { ViTConfig } from '../../engine/nn/vit';
import { readCommon } from '../../engine/runConfig';
import { readValues, type SettingValues } from '../schema';
import { LOCA_SETTINGS } from './settings';
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
  /** Largest hue rotation, in turns, at jitter strength 1 (scaled by colorJitter, capped at 0.5). */
  hueJitter: number;
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
  const v = readValues(LOCA_SETTINGS, values);
  const common = readCommon(values);
  // trainer.py: lr = base · batch / 1024, linear warm-up from 0, cosine to the final lr.
  const peakLearningRate = (v.learningRate * common.batchSize) / 1024;
  const totalSteps = common.totalSteps;
  return {
    vit: {
      imageSize: common.imageSize, patchSize: v.patchSize, width: v.width, depth: v.depth,
      heads: v.heads, mlpRatio: v.mlpRatio,
    },
    // ProjectionHead: Dense–GELU–Dense–GELU–Dense, L2 normalise, weight-normalised prototypes
    // without a gain: DINO's head with a fixed-norm last layer.
    head: { inputDim: v.width, hiddenDim: v.headHidden, bottleneckDim: v.bottleneck, outputDim: v.outputDim, normLastLayer: true },
    sizes: locaSizes(values),
    maskRatio: v.maskRatio,
    referenceScaleMin: v.referenceScaleMin,
    queryScaleMin: v.queryScaleMin,
    focalQueries: v.focalQueries,
    focalSize: v.focalSize,
    focalScaleMin: v.focalScaleMin,
    focalScaleMax: v.focalScaleMax,
    colorJitter: v.colorJitter,
    hueJitter: v.hueJitter,
    grayscaleProbability: v.grayscaleProbability,
    solarizeProbability: v.solarizeProbability,
    clusterLoss: v.clusterLoss,
    meanEntropy: v.meanEntropy,
    teacherTemperature: v.teacherTemperature,
    studentTemperature: v.studentTemperature,
    sinkhornIterations: v.sinkhornIterations,
    weightDecay: v.weightDecay,
    gradientClip: v.gradientClip,
    scheduleAt(step) {
      return {
        learningRate: cosineAt({ base: peakLearningRate, final: v.minLearningRate, totalSteps, warmupSteps: v.warmupSteps }, step),
        // m(t) = 1 − (1 − m₀)(1 + cos(π t / T)) / 2, as the config's cosine momentum schedule.
        teacherMomentum: cosineAt({ base: v.teacherMomentum, final: 1, totalSteps }, step),
      };
    },
  };
}
