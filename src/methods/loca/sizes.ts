import type { SettingValues } from '../schema';

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
  const patch = Number(values.patchSize);
  const referenceGrid = Math.max(1, Math.floor(Number(values.imageSize) / patch));
  const referencePatches = referenceGrid * referenceGrid;
  const focalGrid = Math.max(1, Math.floor(Number(values.focalSize) / patch));
  return {
    referenceGrid,
    referencePatches,
    referenceKept: Math.min(referencePatches, Math.max(1, Math.round((1 - Number(values.maskRatio)) * referencePatches))),
    queryKept: Math.min(referencePatches, Math.max(1, Math.round(Number(values.queryKeep) * referencePatches))),
    focalGrid,
    focalPatches: focalGrid * focalGrid,
  };
}
