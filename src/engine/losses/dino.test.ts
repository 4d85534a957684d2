/**
 * Reference test for the DINO loss and centre update.
 *
 * Every expected number below was computed by scripts/reference/dino_reference.py, a float64
 * numpy restatement (written independently, not copied) of the official
 * facebookresearch/dino code: main_dino.py DINOLoss.forward (temperature-scaled student
 * log-softmax chunked crop-major, detached centred+sharpened teacher softmax chunked into the
 * 2 global crops, cross-entropy summed over K, mean over the batch, averaged over all
 * (teacher crop iq, student crop v) pairs with v ≠ iq) and main_dino.py
 * DINOLoss.update_center (C ← m·C + (1−m)·mean of the teacher logits over all rows).
 * The literal inputs are the same as in that script; rerun it to regenerate the numbers.
 * Our implementation runs in float32, so the tolerances are float32-sized.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { dinoLoss, updatedCenter } from './dino';

const B = 3;
const K = 5;

// Crop-major rows: [crop0 img0..2, crop1 img0..2, crop2 (local) img0..2, crop3 (local) img0..2].
const STUDENT = [
  [0.12, -0.35, 0.8, 0.05, -0.41],
  [-0.27, 0.63, 0.14, -0.52, 0.3],
  [0.45, 0.09, -0.66, 0.71, -0.18],
  [0.33, -0.12, 0.57, -0.24, 0.06],
  [-0.48, 0.22, 0.39, 0.11, -0.73],
  [0.61, -0.55, 0.02, 0.28, 0.44],
  [-0.09, 0.74, -0.31, 0.5, -0.26],
  [0.18, -0.67, 0.25, -0.03, 0.92],
  [-0.36, 0.41, -0.14, 0.87, 0.07],
  [0.54, 0.16, -0.72, -0.38, 0.29],
  [-0.21, -0.08, 0.66, 0.35, -0.57],
  [0.07, 0.93, -0.45, -0.19, 0.13],
];
const TEACHER = [
  [0.21, -0.44, 0.67, 0.1, -0.3],
  [-0.15, 0.58, 0.09, -0.47, 0.26],
  [0.52, 0.03, -0.61, 0.64, -0.11],
  [0.28, -0.2, 0.49, -0.33, 0.14],
  [-0.4, 0.31, 0.45, 0.02, -0.66],
  [0.55, -0.49, 0.08, 0.37, 0.38],
];
const CENTER = [[0.05, -0.02, 0.11, -0.07, 0.03]];
const COLLAPSE_STUDENT_ROW = [0.3, -0.1, 0.2, 0.0, -0.4];
const COLLAPSE_TEACHER_ROW = [0.25, -0.05, 0.15, 0.02, -0.35];

// ---- Reference outputs (scripts/reference/dino_reference.py) ----
const REF_A_LOSS = 6.928232216; // τ_s=0.1, τ_t=0.04, centre, 4 student crops, 6 terms
const REF_A_LOSS_WITH_SAME_VIEW = 5.282379551; // what including the (i, i) pairs would give (8 terms)
const REF_B_LOSS = 6.834989813; // τ_s=τ_t=0.1
const REF_C_LOSS = 0.4489141335; // collapse: all rows identical, zero centre
const REF_D_LOSS = 1.802025916; // 2 student crops (no multi-crop), 2 terms
const REF_D_LOSS_WITH_SAME_VIEW = 1.073423736; // with the (i, i) pairs (4 terms)
const REF_A_TEACHER_PROBS = [
  4.539522251e-5, 2.289497437e-11, 0.9998963159, 5.82886195e-5, 2.172214688e-10, 2.060955154e-9, 0.99990371,
  1.855212707e-7, 1.388660659e-11, 9.610239747e-5, 0.002472622987, 6.808725764e-8, 2.970961786e-16, 0.9975273083,
  5.890702003e-10, 0.02295109324, 8.114932989e-7, 0.9759053178, 1.098236754e-7, 0.001142667648, 1.486228567e-9,
  0.437348863, 0.5615670561, 0.001084079446, 3.683992296e-12, 0.802149976, 2.358383288e-11, 1.412061752e-6,
  0.1789838526, 0.01886475927,
];
const REF_A_STUDENT_LOG_PROBS = [
  -6.801681135, -11.50168114, -0.001681135225, -7.501681135, -12.10168114, -9.043503156, -0.04350315575,
  -4.943503156, -11.54350316, -3.343503156, -2.673659783, -6.273659783, -13.77365978, -0.07365978337, -8.973659783,
  -2.493605113, -6.993605113, -0.09360511284, -8.193605113, -5.193605113, -8.918069779, -1.918069779, -0.2180697788,
  -3.018069779, -11.41806978, -0.200746849, -11.80074685, -6.100746849, -3.500746849, -1.900746849, -8.387130826,
  -0.08713082581, -10.58713083, -2.487130826, -10.08713083, -7.401915305, -15.90191531, -6.701915305, -9.501915305,
  -0.001915305495, -12.31037888, -4.610378882, -10.11037888, -0.01037888225, -8.010378882, -0.0994472303,
  -3.89944723, -12.69944723, -9.29944723, -2.59944723, -8.744812351, -7.444812351, -0.04481235145, -3.144812351,
  -12.34481235, -8.600534116, -0.000534115584, -13.80053412, -11.20053412, -8.000534116,
];
// Analytic d loss / d student logits: Σ_{i≠v} (softmax(s_v/τ_s) − q_i) / (τ_s · B · n_terms).
const REF_A_GRAD_STUDENT = [
  -0.01213288274, 5.167546972e-6, 0.01245275517, 0.0003066919544, -0.0006317319298, 6.564150268e-5, 0.2889337054,
  -0.3080208208, -0.0005968781085, 0.01961835207, -0.4073059642, 0.001047397817, -2.051793823e-7, 0.4166688025,
  -0.01041003091, 0.0458701165, 0.0005098511168, -0.04958556873, 0.0001211816428, 0.003084419472, 7.441360051e-5,
  -0.4738963837, 0.4467050818, 0.02716417026, -4.728188654e-5, 0.4531371612, 4.128259988e-6, 0.001245107367,
  -0.5374180385, 0.08303164175, -0.01252273817, 1.018396414, -1.097639531, 0.09235443564, -0.0005885803348,
  0.0006778681913, -0.7984735137, -0.310616738, -0.0005192568078, 1.10893164, -0.4470075497, 0.01105334933,
  4.438818824e-5, 0.4460213467, -0.01011153447, 0.9931549764, 0.02250299766, -1.097664182, 6.919506712e-5,
  0.08193701313, 0.0001769819212, -0.7978242453, 0.750436966, 0.04725885169, -4.855436412e-5, -0.4468081022,
  1.11051777, 3.433980834e-7, -0.6536021262, -0.01010788492,
];
const REF_C_TEACHER_PROB_ROW = [0.9209619668, 0.0005093696693, 0.07559716177, 0.002931220062, 2.817244027e-7];
const REF_CENTER_UPDATED_M09 = [0.06183333333, -0.0215, 0.1185, -0.0575, 0.02216666667];

const LOSS_RTOL = 1e-5;

function expectRelClose(actual: number, expected: number, rtol: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rtol * Math.abs(expected));
}

function expectAllClose(actual: ArrayLike<number>, expected: number[], atol: number, rtol = 0): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = atol + rtol * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]} (tol ${tol})`);
    }
  }
}

function opts(studentCrops: number, studentTemperature: number, teacherTemperature: number) {
  return { globalCrops: 2, studentCrops, studentTemperature, teacherTemperature };
}

async function lossValue(
  student: number[][],
  teacher: number[][],
  center: number[][],
  o: ReturnType<typeof opts>,
): Promise<number> {
  const s = tf.tensor2d(student);
  const t = tf.tensor2d(teacher);
  const c = tf.tensor2d(center);
  const r = dinoLoss(s, t, c, o);
  const v = (await r.loss.data())[0];
  tf.dispose([s, t, c, r.loss, r.teacherProbs, r.studentLogProbs]);
  return v;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('dinoLoss vs facebookresearch/dino DINOLoss.forward (numpy reference)', () => {
  it('(a) τ_s=0.1, τ_t=0.04, non-zero centre, 2 global + 2 local crops', async () => {
    const s = tf.tensor2d(STUDENT);
    const t = tf.tensor2d(TEACHER);
    const c = tf.tensor2d(CENTER);
    const r = dinoLoss(s, t, c, opts(4, 0.1, 0.04));
    expect(r.loss.shape).toEqual([]);
    expect(r.teacherProbs.shape).toEqual([2 * B, K]);
    expect(r.studentLogProbs.shape).toEqual([4 * B, K]);
    expectRelClose((await r.loss.data())[0], REF_A_LOSS, LOSS_RTOL);
    expectAllClose(await r.teacherProbs.data(), REF_A_TEACHER_PROBS, 1e-6, 1e-5);
    expectAllClose(await r.studentLogProbs.data(), REF_A_STUDENT_LOG_PROBS, 1e-5, 1e-5);
    tf.dispose([s, t, c, r.loss, r.teacherProbs, r.studentLogProbs]);
  });

  it('(b) τ_t = τ_s = 0.1 (no sharpening)', async () => {
    expectRelClose(await lossValue(STUDENT, TEACHER, CENTER, opts(4, 0.1, 0.1)), REF_B_LOSS, LOSS_RTOL);
  });

  it('(c) collapse: all rows identical, zero centre', async () => {
    const student = Array.from({ length: 4 * B }, () => [...COLLAPSE_STUDENT_ROW]);
    const teacher = Array.from({ length: 2 * B }, () => [...COLLAPSE_TEACHER_ROW]);
    const zero = [[0, 0, 0, 0, 0]];
    expectRelClose(await lossValue(student, teacher, zero, opts(4, 0.1, 0.04)), REF_C_LOSS, LOSS_RTOL);

    const s = tf.tensor2d(student);
    const t = tf.tensor2d(teacher);
    const c = tf.tensor2d(zero);
    const r = dinoLoss(s, t, c, opts(4, 0.1, 0.04));
    const probs = await r.teacherProbs.data();
    for (let row = 0; row < 2 * B; row++) {
      expectAllClose(probs.slice(row * K, (row + 1) * K), REF_C_TEACHER_PROB_ROW, 1e-6, 1e-5);
    }
    tf.dispose([s, t, c, r.loss, r.teacherProbs, r.studentLogProbs]);
  });

  it('(d) no multi-crop: 2 student crops (the global ones)', async () => {
    const student = STUDENT.slice(0, 2 * B);
    expectRelClose(await lossValue(student, TEACHER, CENTER, opts(2, 0.1, 0.04)), REF_D_LOSS, LOSS_RTOL);
  });

  it('excludes the same-view (teacher crop i, student crop i) pairs', async () => {
    // Including the diagonal pairs would give a clearly different number in both layouts.
    const a = await lossValue(STUDENT, TEACHER, CENTER, opts(4, 0.1, 0.04));
    expect(Math.abs(a - REF_A_LOSS_WITH_SAME_VIEW)).toBeGreaterThan(1);
    expectRelClose(a, REF_A_LOSS, LOSS_RTOL);
    const d = await lossValue(STUDENT.slice(0, 2 * B), TEACHER, CENTER, opts(2, 0.1, 0.04));
    expect(Math.abs(d - REF_D_LOSS_WITH_SAME_VIEW)).toBeGreaterThan(0.5);
    expectRelClose(d, REF_D_LOSS, LOSS_RTOL);
  });

  it('teacher targets carry no gradient; the student gradient matches the analytic reference', async () => {
    const s = tf.tensor2d(STUDENT);
    const t = tf.tensor2d(TEACHER);
    const c = tf.tensor2d(CENTER);
    const [gs, gt] = tf.grads((sx: tf.Tensor, tx: tf.Tensor) => {
      const r = dinoLoss(sx as tf.Tensor2D, tx as tf.Tensor2D, c, opts(4, 0.1, 0.04));
      return r.loss;
    })([s, t]);
    const gtData = await gt.data();
    expect(gt.shape).toEqual([2 * B, K]);
    // Exactly zero everywhere (±0 both accepted).
    expect(Math.max(...Array.from(gtData, Math.abs))).toBe(0);

    const gsData = await gs.data();
    expect(gs.shape).toEqual([4 * B, K]);
    let maxAbs = 0;
    for (let i = 0; i < gsData.length; i++) maxAbs = Math.max(maxAbs, Math.abs(gsData[i]));
    expect(maxAbs).toBeGreaterThan(0.1);
    expectAllClose(gsData, REF_A_GRAD_STUDENT, 2e-6, 1e-4);
    tf.dispose([s, t, c, gs, gt]);
  });
});

describe('updatedCenter vs facebookresearch/dino DINOLoss.update_center (numpy reference)', () => {
  it('m = 0.9: C ← 0.9·C + 0.1·mean over all teacher rows', async () => {
    const c = tf.tensor2d(CENTER);
    const t = tf.tensor2d(TEACHER);
    const next = updatedCenter(c, t, 0.9);
    expect(next.shape).toEqual([1, K]);
    expectAllClose(await next.data(), REF_CENTER_UPDATED_M09, 1e-7, 1e-6);
    tf.dispose([c, t, next]);
  });
});
