import { readCommon } from '../../engine/runConfig';
import { cosineAt } from '../../engine/schedules';
import type { HiViTConfig } from '../../engine/nn/hivit';
import type { PyramidConfig } from '../../engine/nn/pyramid';
import { readValues, type SettingValues } from '../schema';
import { ITPN_SETTINGS } from './settings';

/** iTPN's settings, typed, with the per-step schedules. */
export interface ItpnConfig {
  imageSize: number;
  backbone: HiViTConfig;
  pyramid: PyramidConfig;
  maskRatio: number;
  mim: boolean;
  mfm: boolean;
  mfmWeight: number;
  weightDecay: number;
  scheduleAt(step: number): { learningRate: number; teacherMomentum: number };
}

export function readItpnConfig(values: SettingValues): ItpnConfig {
  const v = readValues(ITPN_SETTINGS, values);
  const common = readCommon(values);
  const pyramid = v.pyramid;
  const mfm = v.mfm;
  const width = v.width;
  const peak = v.learningRate;
  return {
    imageSize: common.imageSize,
    backbone: {
      imageSize: common.imageSize, patchSize: v.patchSize, width, mlpDepth: v.mlpDepth, depth: v.depth,
      heads: v.heads, mlpRatio: v.mlpRatio, bridgeMlpRatio: 3,
      // Pyramid off is the plain ViT of the MAE baseline: no sub-token stages to build a pyramid from.
      hierarchical: pyramid,
    },
    pyramid: {
      width, pyramid, fpnWidth: v.fpnWidth, fpnDepth: v.fpnDepth, mlpRatio: v.mlpRatio, patchSize: v.patchSize,
      decoderWidth: v.decoderWidth, decoderDepth: v.decoderDepth, decoderHeads: v.decoderHeads, featureHeads: mfm,
    },
    maskRatio: v.maskRatio,
    mim: v.mim,
    mfm,
    mfmWeight: v.mfmWeight,
    weightDecay: v.weightDecay,
    scheduleAt(step) {
      return {
        // MAE's schedule: linear warm-up, then half-cosine (to 1% of the peak here).
        learningRate: cosineAt({ base: peak, final: peak * 0.01, totalSteps: common.totalSteps, warmupSteps: v.warmupSteps }, step),
        // The moving-averaged backbone of MFM: momentum from its base to 1 on a cosine, as BYOL and DINO.
        teacherMomentum: cosineAt({ base: v.teacherMomentum, final: 1, totalSteps: common.totalSteps }, step),
      };
    },
  };
}

/** Level names coarse → fine, for the charts and the view. */
export function itpnLevelNames(pyramid: boolean): string[] {
  return pyramid ? ['1×1 per patch', '2×2 per patch', '4×4 per patch'] : ['last layer'];
}
