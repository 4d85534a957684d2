import { cosineAt, linearWarmupAt } from '../../engine/schedules';
import type { DinoHeadConfig } from '../../engine/nn/heads';
import type { ViTConfig } from '../../engine/nn/vit';
import { readCommon } from '../../engine/runConfig';
import type { SettingValues } from '../schema';

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
  const common = readCommon(values);
  const n = (name: string) => Number(values[name]);
  const b = (name: string) => Boolean(values[name]);
  const totalSteps = common.totalSteps;
  // main_dino.py: lr = args.lr · batch_size / 256, linear warm-up from 0, cosine to min_lr.
  const peakLearningRate = (n('learningRate') * common.batchSize) / 256;
  const sharpening = b('sharpening');
  return {
    vit: {
      imageSize: common.imageSize, patchSize: n('patchSize'), width: n('width'), depth: n('depth'),
      heads: n('heads'), mlpRatio: n('mlpRatio'),
    },
    head: {
      inputDim: n('width'), hiddenDim: n('headHidden'), bottleneckDim: n('bottleneck'),
      outputDim: n('outputDim'), normLastLayer: b('normLastLayer'),
    },
    localCrops: b('multiCrop') ? n('localCrops') : 0,
    localCropSize: n('localCropSize'),
    globalScaleMin: n('globalScaleMin'),
    localScaleMin: n('localScaleMin'),
    localScaleMax: n('localScaleMax'),
    colorJitter: n('colorJitter'),
    hueJitter: Number(values.hueJitter ?? 0.1),
    rotation: Number(values.rotation ?? 0),
    grayscaleProbability: n('grayscaleProbability'),
    blurSolarize: b('blurSolarize'),
    centering: b('centering'),
    centerMomentum: n('centerMomentum'),
    studentTemperature: n('studentTemperature'),
    momentumTeacher: b('momentumTeacher'),
    gradientClip: n('gradientClip'),
    freezeLastLayerSteps: n('freezeLastLayerSteps'),
    scheduleAt(step) {
      const teacherTemperature = linearWarmupAt(
        n('warmupTeacherTemperature'), n('teacherTemperature'), n('teacherTemperatureWarmupSteps'), step,
      );
      return {
        learningRate: cosineAt({ base: peakLearningRate, final: n('minLearningRate'), totalSteps, warmupSteps: n('warmupSteps') }, step),
        weightDecay: cosineAt({ base: n('weightDecay'), final: n('weightDecayEnd'), totalSteps }, step),
        teacherMomentum: cosineAt({ base: n('teacherMomentum'), final: 1, totalSteps }, step),
        // Sharpening off: the teacher uses the student's temperature.
        teacherTemperature: sharpening ? teacherTemperature : n('studentTemperature'),
      };
    },
  };
}
