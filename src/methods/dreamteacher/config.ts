import { readCommon } from '../../engine/runConfig';
import { cosineAt } from '../../engine/schedules';
import { depChannels } from '../dep/config';
import type { NoiseSettings } from '../dep/denoiser';
import type { SettingValues } from '../schema';

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
  const common = readCommon(values);
  const n = (name: string) => Number(values[name]);
  const levels = n('levels');
  const teacherSteps = Math.min(n('teacherSteps'), common.totalSteps);
  const distillSteps = common.totalSteps - teacherSteps;
  const warmup = n('warmupSteps');
  return {
    imageSize: common.imageSize,
    teacherSteps,
    teacherChannels: depChannels(n('teacherWidth'), levels),
    studentChannels: depChannels(n('width'), levels),
    fpnChannels: n('fpnChannels'),
    groups: 4,
    noise: { corruption: values.corruption === 'simple' ? 'simple' : 'vp', sigma: n('sigma'), sigmaMode: 'fixed', sigmaMin: n('sigma'), sigmaMax: n('sigma') },
    mseLoss: Boolean(values.mseLoss),
    attentionLoss: Boolean(values.attentionLoss),
    attentionWeight: n('attentionWeight'),
    weightDecay: n('weightDecay'),
    fineTune: { steps: n('fineTuneSteps'), learningRate: n('fineTuneLearningRate'), batchSize: Math.min(16, common.batchSize) },
    scheduleAt(step) {
      if (step < teacherSteps) {
        const base = n('teacherLearningRate');
        return { stage: 'teacher', learningRate: cosineAt({ base, final: base * 0.01, totalSteps: teacherSteps, warmupSteps: Math.min(warmup, teacherSteps) }, step) };
      }
      const base = n('learningRate');
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
