import { readCommon } from '../../engine/runConfig';
import { cosineAt } from '../../engine/schedules';
import { depChannels } from '../dep/config';
import type { NoiseSettings } from '../dep/denoiser';
import { readValues, type SettingValues } from '../schema';
import { DREAMTEACHER_SETTINGS } from './settings';

/** DreamTeacher's settings, typed, with the stage and learning rate of each step. */
export interface DreamTeacherConfig {
  imageSize: number;
  teacherSteps: number;
  /** Channels per level, finest first: the teacher U-Net's (also the regression targets') and the student's. */
  teacherChannels: number[];
  studentChannels: number[];
  fpnChannels: number;
  groups: number;
  noise: NoiseSettings;
  mseLoss: boolean;
  attentionLoss: boolean;
  attentionWeight: number;
  weightDecay: number;
  fineTune: { steps: number; learningRate: number; batchSize: number };
  scheduleAt(step: number): { stage: 'teacher' | 'distillation'; learningRate: number };
}

export function readDreamTeacherConfig(values: SettingValues): DreamTeacherConfig {
  const v = readValues(DREAMTEACHER_SETTINGS, values);
  const common = readCommon(values);
  const levels = v.levels;
  const teacherSteps = Math.min(v.teacherSteps, common.totalSteps);
  const distillSteps = common.totalSteps - teacherSteps;
  const warmup = v.warmupSteps;
  return {
    imageSize: common.imageSize,
    teacherSteps,
    teacherChannels: depChannels(v.teacherWidth, levels),
    studentChannels: depChannels(v.width, levels),
    fpnChannels: v.fpnChannels,
    groups: 4,
    noise: { corruption: v.corruption === 'simple' ? 'simple' : 'vp', sigma: v.sigma, sigmaMode: 'fixed', sigmaMin: v.sigma, sigmaMax: v.sigma },
    mseLoss: v.mseLoss,
    attentionLoss: v.attentionLoss,
    attentionWeight: v.attentionWeight,
    weightDecay: v.weightDecay,
    fineTune: { steps: v.fineTuneSteps, learningRate: v.fineTuneLearningRate, batchSize: Math.min(16, common.batchSize) },
    scheduleAt(step) {
      if (step < teacherSteps) {
        const base = v.teacherLearningRate;
        return { stage: 'teacher', learningRate: cosineAt({ base, final: base * 0.01, totalSteps: teacherSteps, warmupSteps: Math.min(warmup, teacherSteps) }, step) };
      }
      const base = v.learningRate;
      return {
        stage: 'distillation',
        learningRate: cosineAt({ base, final: base * 0.01, totalSteps: distillSteps, warmupSteps: Math.min(warmup, distillSteps) }, step - teacherSteps),
      };
    },
  };
}

/** Level names finest first: "S", "S/2", "S/4", … */
export function levelNames(levels: number): string[] {
  return Array.from({ length: levels }, (_, i) => (i === 0 ? 'S' : `S/${2 ** i}`));
}
