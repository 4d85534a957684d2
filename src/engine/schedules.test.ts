/**
 * Reference test for the per-step schedules.
 *
 * Every expected array below was computed by scripts/reference/dino_reference.py, a float64
 * numpy restatement (written independently, not copied) of facebookresearch/dino
 * utils.py cosine_scheduler (np.linspace warm-up over warmup_epochs·niter_per_ep steps, both
 * ends included, then final + ½(base − final)(1 + cos(π·i/n)) for i < n = remaining steps) and
 * of the teacher temperature schedule built in main_dino.py DINOLoss.__init__
 * (np.linspace(warmup, final, warmup_epochs) followed by the final value).
 * cosineAt(..., step) must equal cosine_scheduler(...)[step] with totalSteps = epochs·niter_per_ep
 * and warmupSteps = warmup_epochs·niter_per_ep. The schedules are plain float64 maths, so the
 * tolerance only covers the 10 significant digits the script prints.
 */
import { describe, expect, it } from 'vitest';
import { cosineAt, linearWarmupAt } from './schedules';

// cosine_scheduler(5e-4, 1e-6, epochs=4, niter_per_ep=5, warmup_epochs=1, start_warmup_value=0)
const REF_LR = [
  0, 0.000125, 0.00025, 0.000375, 0.0005, 0.0005, 0.0004945478264, 0.0004784295917, 0.0004523497401,
  0.0004174480863, 0.00037525, 0.0003275997401, 0.0002765798516, 0.0002244201484, 0.0001734002599, 0.00012575,
  8.355191371e-5, 4.86502599e-5, 2.257040832e-5, 6.452173617e-6,
];
// cosine_scheduler(0.996, 1, epochs=4, niter_per_ep=5)
const REF_MOMENTUM = [
  0.996, 0.9960246233, 0.996097887, 0.996217987, 0.996381966, 0.9965857864, 0.9968244295, 0.997092019,
  0.997381966, 0.9976871311, 0.998, 0.9983128689, 0.998618034, 0.998907981, 0.9991755705, 0.9994142136,
  0.999618034, 0.999782013, 0.999902113, 0.9999753767,
];
// cosine_scheduler(0.04, 0.4, epochs=4, niter_per_ep=5)
const REF_WEIGHT_DECAY = [
  0.04, 0.04221609869, 0.04880982707, 0.05961882565, 0.07437694101, 0.09272077939, 0.1141986546, 0.13828171,
  0.164376941, 0.1918417963, 0.22, 0.2481582037, 0.275623059, 0.30171829, 0.3258013454, 0.3472792206,
  0.365623059, 0.3803811744, 0.3911901729, 0.3977839013,
];
// teacher_temp_schedule: np.linspace(0.04, 0.07, 3) then 0.07, 10 entries
const REF_TEACHER_TEMP = [0.04, 0.055, 0.07, 0.07, 0.07, 0.07, 0.07, 0.07, 0.07, 0.07];

const EPOCHS = 4;
const NITER = 5;
const TOTAL = EPOCHS * NITER;

function expectSchedule(actual: (step: number) => number, expected: number[]): void {
  for (let step = 0; step < expected.length; step++) {
    const got = actual(step);
    const tol = 1e-15 + 1e-9 * Math.abs(expected[step]);
    if (!(Math.abs(got - expected[step]) <= tol)) {
      throw new Error(`step ${step}: got ${got}, expected ${expected[step]}`);
    }
  }
}

describe('cosineAt vs facebookresearch/dino utils.cosine_scheduler (numpy reference)', () => {
  it('learning rate: 5e-4 → 1e-6 with a 1-epoch linear warm-up from 0', () => {
    expect(REF_LR).toHaveLength(TOTAL);
    const schedule = { base: 5e-4, final: 1e-6, totalSteps: TOTAL, warmupSteps: 1 * NITER, warmupStart: 0 };
    expectSchedule((step) => cosineAt(schedule, step), REF_LR);
  });

  it('teacher momentum: 0.996 → 1, no warm-up', () => {
    const schedule = { base: 0.996, final: 1, totalSteps: TOTAL };
    expectSchedule((step) => cosineAt(schedule, step), REF_MOMENTUM);
    expectSchedule((step) => cosineAt({ ...schedule, warmupSteps: 0, warmupStart: 0 }, step), REF_MOMENTUM);
  });

  it('weight decay: 0.04 → 0.4, no warm-up', () => {
    const schedule = { base: 0.04, final: 0.4, totalSteps: TOTAL };
    expectSchedule((step) => cosineAt(schedule, step), REF_WEIGHT_DECAY);
  });
});

describe('linearWarmupAt vs the teacher temperature schedule of DINOLoss.__init__ (numpy reference)', () => {
  it('0.04 → 0.07 over 3 warm-up steps of 10, then constant', () => {
    expectSchedule((step) => linearWarmupAt(0.04, 0.07, 3, step), REF_TEACHER_TEMP);
  });
});
