import { cosineAt } from '../../engine/schedules';
import { readCommon } from '../../engine/runConfig';
import type { Corruption } from '../../measures/noise';
import { readValues, type SettingValues } from '../schema';
import { DEP_SETTINGS } from './settings';

/** DeP's settings, typed, with the per-step stage and learning rate. */
export interface DepConfig {
  variant: 'DeP' | 'DDeP';
  imageSize: number;
  /** Channels per U-Net level, finest first (the width doubles at each level). */
  channels: number[];
  groups: number;
  corruption: Corruption;
  sigma: number;
  sigmaMode: 'fixed' | 'sampled';
  sigmaMin: number;
  sigmaMax: number;
  /** Steps of DDeP's supervised encoder stage (0 for DeP). */
  supervisedSteps: number;
  weightDecay: number;
  fineTune: { steps: number; learningRate: number; batchSize: number };
  /** Which stage a step belongs to, and its learning rate (warm-up then cosine, per stage). */
  scheduleAt(step: number): { stage: 'supervised' | 'denoising'; learningRate: number };
}

/** Channels of each of `levels` levels from the base width: w, 2w, 4w, … */
export function depChannels(width: number, levels: number): number[] {
  return Array.from({ length: levels }, (_, i) => width * 2 ** i);
}

export function readDepConfig(values: SettingValues): DepConfig {
  const v = readValues(DEP_SETTINGS, values);
  const common = readCommon(values);
  const variant = v.variant === 'DDeP' ? 'DDeP' : 'DeP';
  const supervisedSteps = variant === 'DDeP' ? Math.min(v.supervisedSteps, common.totalSteps) : 0;
  const denoisingSteps = common.totalSteps - supervisedSteps;
  const warmup = v.warmupSteps;
  const peak = v.learningRate;
  return {
    variant,
    imageSize: common.imageSize,
    channels: depChannels(v.width, v.levels),
    groups: v.groups,
    corruption: v.corruption === 'simple' ? 'simple' : 'vp',
    sigma: v.sigma,
    sigmaMode: v.sigmaMode === 'sampled' ? 'sampled' : 'fixed',
    sigmaMin: v.sigmaMin,
    sigmaMax: v.sigmaMax,
    supervisedSteps,
    weightDecay: v.weightDecay,
    fineTune: { steps: v.fineTuneSteps, learningRate: v.fineTuneLearningRate, batchSize: Math.min(16, common.batchSize) },
    scheduleAt(step) {
      // Each stage warms up and decays over its own length, as two separate trainings would.
      if (step < supervisedSteps) {
        return { stage: 'supervised', learningRate: cosineAt({ base: peak, final: 0, totalSteps: supervisedSteps, warmupSteps: Math.min(warmup, supervisedSteps) }, step) };
      }
      return {
        stage: 'denoising',
        learningRate: cosineAt(
          { base: peak, final: peak * 0.01, totalSteps: denoisingSteps, warmupSteps: Math.min(warmup, denoisingSteps) }, step - supervisedSteps,
        ),
      };
    },
  };
}
