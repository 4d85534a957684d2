/**
 * Per-step schedules, the same shapes as DINO's `utils.cosine_scheduler` (facebookresearch/dino):
 * a linear warm-up from `warmupStart` to `base` over `warmupSteps`, then a half cosine from
 * `base` to `final` over the remaining steps. The official code builds the whole array up
 * front (epochs × iterations per epoch); we evaluate one step at a time, and past the last
 * step the value stays at `final`.
 */
export interface CosineSchedule {
  base: number;
  final: number;
  totalSteps: number;
  warmupSteps?: number;
  warmupStart?: number;
}

export function cosineAt(schedule: CosineSchedule, step: number): number {
  const { base, final, totalSteps } = schedule;
  const warmupSteps = Math.min(schedule.warmupSteps ?? 0, totalSteps);
  const warmupStart = schedule.warmupStart ?? 0;
  if (step < warmupSteps) {
    // np.linspace(start, base, warmupSteps): both ends included.
    if (warmupSteps === 1) return warmupStart;
    return warmupStart + ((base - warmupStart) * step) / (warmupSteps - 1);
  }
  const cosineSteps = totalSteps - warmupSteps;
  const i = step - warmupSteps;
  if (cosineSteps <= 0 || i >= cosineSteps) return final;
  return final + 0.5 * (base - final) * (1 + Math.cos((Math.PI * i) / cosineSteps));
}

/**
 * DINO's teacher temperature: np.linspace(warmup, final, warmupSteps) then constant
 * (main_dino.py, DINOLoss.__init__ — per epoch there; per step here).
 */
export function linearWarmupAt(warmupValue: number, finalValue: number, warmupSteps: number, step: number): number {
  if (warmupSteps <= 0 || step >= warmupSteps) return finalValue;
  if (warmupSteps === 1) return warmupValue;
  return warmupValue + ((finalValue - warmupValue) * step) / (warmupSteps - 1);
}
