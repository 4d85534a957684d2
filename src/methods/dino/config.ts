import { cosineAt, linearWarmupAt } from '../../engine/schedules';
import type { DinoHeadConfig } from '../../engine/nn/heads';
import type { ViTConfig } from '../../engine/nn/vit';
import { readCommon } from '../../engine/runConfig';
import { readValues, type SettingValues } from '../schema';
import { DINO_SETTINGS } from './settings';

/** DINO's settings, typed, with the per-step schedules of main_dino.py. */
export interface DinoConfig {
  vit: ViTConfig;
  head: DinoHeadConfig;
  localCrops: number; // 0 when multi-crop is off
  localCropSize: number;
  globalScaleMin: number;
  localScaleMin: number;
  localScaleMax: number;
  colorJitter: number;
  hueJitter: number;
  rotation: number;
  grayscaleProbability: number;
  blurSolarize: boolean;
  centering: boolean;
  centerMomentum: number;
  studentTemperature: number;
  momentumTeacher: boolean;
  gradientClip: number;
  freezeLastLayerSteps: number;
  scheduleAt(step: number): DinoSchedule;
}

export interface DinoSchedule {
  learningRate: number;
  weightDecay: number;
  teacherMomentum: number;
  teacherTemperature: number;
}

export function readDinoConfig(values: SettingValues): DinoConfig {
  const v = readValues(DINO_SETTINGS, values);
  const common = readCommon(values);
  const totalSteps = common.totalSteps;
  // main_dino.py: lr = args.lr · batch_size / 256, linear warm-up from 0, cosine to min_lr.
  const peakLearningRate = (v.learningRate * common.batchSize) / 256;
  const sharpening = v.sharpening;
  return {
    vit: {
      imageSize: common.imageSize, patchSize: v.patchSize, width: v.width, depth: v.depth,
      heads: v.heads, mlpRatio: v.mlpRatio,
    },
    head: {
      inputDim: v.width, hiddenDim: v.headHidden, bottleneckDim: v.bottleneck,
      outputDim: v.outputDim, normLastLayer: v.normLastLayer,
    },
    localCrops: v.multiCrop ? v.localCrops : 0,
    localCropSize: v.localCropSize,
    globalScaleMin: v.globalScaleMin,
    localScaleMin: v.localScaleMin,
    localScaleMax: v.localScaleMax,
    colorJitter: v.colorJitter,
    hueJitter: v.hueJitter,
    rotation: v.rotation,
    grayscaleProbability: v.grayscaleProbability,
    blurSolarize: v.blurSolarize,
    centering: v.centering,
    centerMomentum: v.centerMomentum,
    studentTemperature: v.studentTemperature,
    momentumTeacher: v.momentumTeacher,
    gradientClip: v.gradientClip,
    freezeLastLayerSteps: v.freezeLastLayerSteps,
    scheduleAt(step) {
      const teacherTemperature = linearWarmupAt(
        v.warmupTeacherTemperature, v.teacherTemperature, v.teacherTemperatureWarmupSteps, step,
      );
      return {
        learningRate: cosineAt({ base: peakLearningRate, final: v.minLearningRate, totalSteps, warmupSteps: v.warmupSteps }, step),
        weightDecay: cosineAt({ base: v.weightDecay, final: v.weightDecayEnd, totalSteps }, step),
        teacherMomentum: cosineAt({ base: v.teacherMomentum, final: 1, totalSteps }, step),
        // Sharpening off: the teacher uses the student's temperature.
        teacherTemperature: sharpening ? teacherTemperature : v.studentTemperature,
      };
    },
  };
}
