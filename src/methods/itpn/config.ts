import { readCommon } from '../../engine/runConfig';
import { cosineAt } from '../../engine/schedules';
import type { HiViTConfig } from '../../engine/nn/hivit';
import type { PyramidConfig } from '../../engine/nn/pyramid';
import type { SettingValues } from '../schema';

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
  const common = readCommon(values);
  const n = (name: string) => Number(values[name]);
  const pyramid = Boolean(values.pyramid);
  const mfm = Boolean(values.mfm);
  const width = n('width');
  const peak = n('learningRate');
  return {
    imageSize: common.imageSize,
    backbone: {
      imageSize: common.imageSize, patchSize: n('patchSize'), width, mlpDepth: n('mlpDepth'), depth: n('depth'),
      heads: n('heads'), mlpRatio: n('mlpRatio'), bridgeMlpRatio: 3,
      // Pyramid off is the plain ViT of the MAE baseline: no sub-token stages to build a pyramid from.
      hierarchical: pyramid,
    },
    pyramid: {
      width, pyramid, fpnWidth: n('fpnWidth'), fpnDepth: n('fpnDepth'), mlpRatio: n('mlpRatio'), patchSize: n('patchSize'),
      decoderWidth: n('decoderWidth'), decoderDepth: n('decoderDepth'), decoderHeads: n('decoderHeads'), featureHeads: mfm,
    },
    maskRatio: n('maskRatio'),
    mim: Boolean(values.mim),
    mfm,
    mfmWeight: n('mfmWeight'),
    weightDecay: n('weightDecay'),
    scheduleAt(step) {
      return {
        // MAE's schedule: linear warm-up, then half-cosine (to 1% of the peak here).
        learningRate: cosineAt({ base: peak, final: peak * 0.01, totalSteps: common.totalSteps, warmupSteps: n('warmupSteps') }, step),
        // The moving-averaged backbone of MFM: momentum from its base to 1 on a cosine, as BYOL and DINO.
        teacherMomentum: cosineAt({ base: n('teacherMomentum'), final: 1, totalSteps: common.totalSteps }, step),
      };
    },
  };
}

/** Level names coarse → fine, for the charts and the view. */
export function itpnLevelNames(pyramid: boolean): string[] {
  return pyramid ? ['1×1 per patch', '2×2 per patch', '4×4 per patch'] : ['last layer'];
}
