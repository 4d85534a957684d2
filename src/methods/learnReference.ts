/**
 * The study's numbers for the `learn` presets (written by `npm run study -- --reference
 * src/methods/learnReference.json`): for each method, the held-out kNN and linear-probe
 * accuracy of its supervised reference — the same backbone and budget trained with labels —
 * and of the untrained and trained networks, as means over the study's seeds. The app's
 * evaluation chart draws the supervised line beside a run of exactly that preset (any seed),
 * so a learner sees where the run's line is heading; the reference is computed once per
 * config by the study and kept here, not retrained in every visitor's browser.
 */
import data from './learnReference.json';
import { defaultValues, type SettingValues } from './schema';
import { findMethod } from './registry';

export interface ScoreTriple {
  supervised: number | null;
  untrained: number | null;
  trained: number | null;
}

export interface LearnReference {
  methodId: string;
  presetId: string;
  seeds: number[];
  steps: number;
  /** ISO date of the study. */
  date: string;
  backend: string;
  /** The study's evaluation split: labelled bank and held-out images. */
  bank: number;
  heldOut: number;
  knn: ScoreTriple;
  linear: ScoreTriple;
}

export const LEARN_REFERENCES: readonly LearnReference[] = (data as { references: LearnReference[] }).references;

/** The reference of a run, if its settings are its preset's (seed and live settings aside). */
export function learnReference(methodId: string, presetId: string, values: SettingValues): LearnReference | undefined {
  const reference = LEARN_REFERENCES.find((r) => r.methodId === methodId && r.presetId === presetId);
  const method = findMethod(methodId);
  const preset = method?.presets.find((p) => p.id === presetId);
  if (!reference || !method || !preset) return undefined;
  const base: SettingValues = { ...defaultValues(method.settings), ...preset.values };
  const same = method.settings.every((s) =>
    s.name === 'seed' || method.liveSettings.includes(s.name) || values[s.name] === undefined || values[s.name] === base[s.name]);
  return same ? reference : undefined;
}
