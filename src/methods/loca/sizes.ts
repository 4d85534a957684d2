import { readValues, type SettingValues } from '../schema';
import { LOCA_SETTINGS } from './settings';

/** Token counts of LOCA's views, derived from the settings (page and worker alike). */
export interface LocaSizes {
  referenceGrid: number; // patches per side of the reference (and of the large query)
  referencePatches: number; // N_ref: the classes of the position classifier
  /** Reference tokens the queries see: a contiguous run of round((1 − η)·N_ref), at least 1. */
  referenceKept: number;
  queryKept: number; // large-query tokens through the student, at least 1
  focalGrid: number;
  focalPatches: number;
}

export function locaSizes(values: SettingValues): LocaSizes {
  const v = readValues(LOCA_SETTINGS, values);
  const patch = v.patchSize;
  const referenceGrid = Math.max(1, Math.floor(Number(v.imageSize) / patch));
  const referencePatches = referenceGrid * referenceGrid;
  const focalGrid = Math.max(1, Math.floor(v.focalSize / patch));
  return {
    referenceGrid,
    referencePatches,
    referenceKept: Math.min(referencePatches, Math.max(1, Math.round((1 - v.maskRatio) * referencePatches))),
    queryKept: Math.min(referencePatches, Math.max(1, Math.round(v.queryKeep * referencePatches))),
    focalGrid,
    focalPatches: focalGrid * focalGrid,
  };
}
