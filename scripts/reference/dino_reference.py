#!/usr/bin/env python3
"""Reference numbers for the DINO loss, centre update and schedules.

A float64 numpy restatement (written independently, not copied) of the formulas in the
official implementation, facebookresearch/dino:

  * main_dino.py, DINOLoss.forward
      - student logits are divided by the student temperature and split crop-major into
        `ncrops` chunks (the layout MultiCropWrapper produces);
      - teacher targets are softmax((teacher_logits - center) / teacher_temp), detached and
        split into the 2 global-crop chunks;
      - for every (teacher chunk iq, student chunk v) with v != iq, the term is
        mean over the batch of sum_k -q * log_softmax(student)_k;
      - the loss is the sum of those terms divided by how many terms there were.
  * main_dino.py, DINOLoss.update_center
      - batch_center = sum of the teacher logits over all rows / number of rows
        (single process, world size 1); center <- m * center + (1 - m) * batch_center.
  * main_dino.py, DINOLoss.__init__ (teacher temperature schedule)
      - np.linspace(warmup_teacher_temp, teacher_temp, warmup_epochs), then teacher_temp
        for the remaining epochs.
  * utils.py, cosine_scheduler(base, final, epochs, niter_per_ep, warmup_epochs, start_warmup_value)
      - warm-up: np.linspace(start_warmup_value, base, warmup_epochs * niter_per_ep) (both ends);
      - then for i = 0 .. n-1 with n = epochs * niter_per_ep - warmup_iters:
        final + 0.5 * (base - final) * (1 + cos(pi * i / n)).

The same literal inputs are pasted into src/engine/losses/dino.test.ts and
src/engine/schedules.test.ts; the printed numbers are the expected values there.

Run:  python3 scripts/reference/dino_reference.py
"""
import math

import numpy as np

np.set_printoptions(precision=10, floatmode="maxprec")

# ---------------------------------------------------------------------------------------
# Literal inputs. B = 3 images, K = 5 prototypes, 2 global + 2 local crops.
# Rows are crop-major: [crop0 img0, crop0 img1, crop0 img2, crop1 img0, ...].
# ---------------------------------------------------------------------------------------
B = 3
K = 5
GLOBAL_CROPS = 2

STUDENT = np.array([
    # crop 0 (global 1)
    [0.12, -0.35, 0.80, 0.05, -0.41],
    [-0.27, 0.63, 0.14, -0.52, 0.30],
    [0.45, 0.09, -0.66, 0.71, -0.18],
    # crop 1 (global 2)
    [0.33, -0.12, 0.57, -0.24, 0.06],
    [-0.48, 0.22, 0.39, 0.11, -0.73],
    [0.61, -0.55, 0.02, 0.28, 0.44],
    # crop 2 (local 1)
    [-0.09, 0.74, -0.31, 0.50, -0.26],
    [0.18, -0.67, 0.25, -0.03, 0.92],
    [-0.36, 0.41, -0.14, 0.87, 0.07],
    # crop 3 (local 2)
    [0.54, 0.16, -0.72, -0.38, 0.29],
    [-0.21, -0.08, 0.66, 0.35, -0.57],
    [0.07, 0.93, -0.45, -0.19, 0.13],
], dtype=np.float64)

TEACHER = np.array([
    # crop 0 (global 1)
    [0.21, -0.44, 0.67, 0.10, -0.30],
    [-0.15, 0.58, 0.09, -0.47, 0.26],
    [0.52, 0.03, -0.61, 0.64, -0.11],
    # crop 1 (global 2)
    [0.28, -0.20, 0.49, -0.33, 0.14],
    [-0.40, 0.31, 0.45, 0.02, -0.66],
    [0.55, -0.49, 0.08, 0.37, 0.38],
], dtype=np.float64)

CENTER = np.array([[0.05, -0.02, 0.11, -0.07, 0.03]], dtype=np.float64)

# Collapse case: every row identical.
COLLAPSE_STUDENT_ROW = np.array([0.30, -0.10, 0.20, 0.00, -0.40], dtype=np.float64)
COLLAPSE_TEACHER_ROW = np.array([0.25, -0.05, 0.15, 0.02, -0.35], dtype=np.float64)


def softmax_rows(x):
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax_rows(x):
    z = x - x.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def dino_loss(student, teacher, center, student_crops, tau_s, tau_t, skip_same_view=True):
    """DINOLoss.forward restated. Returns (loss, teacher_probs, student_log_probs, n_terms)."""
    batch = teacher.shape[0] // GLOBAL_CROPS
    log_p_s = log_softmax_rows(student / tau_s)
    q_t = softmax_rows((teacher - center) / tau_t)
    s_chunks = [log_p_s[v * batch:(v + 1) * batch] for v in range(student_crops)]
    t_chunks = [q_t[i * batch:(i + 1) * batch] for i in range(GLOBAL_CROPS)]
    total, n_terms = 0.0, 0
    for i, q in enumerate(t_chunks):
        for v, ls in enumerate(s_chunks):
            if skip_same_view and v == i:
                continue
            per_image = np.sum(-q * ls, axis=-1)  # cross-entropy per image
            total += per_image.mean()
            n_terms += 1
    return total / n_terms, q_t, log_p_s, n_terms


def dino_loss_grad_student(student, teacher, center, student_crops, tau_s, tau_t):
    """Analytic d loss / d student logits for the formula above.

    d/ds [-sum_k q_k log softmax(s/tau)_k] = (softmax(s/tau) - q) / tau   (sum_k q_k = 1),
    each term is averaged over B images and the terms are averaged over n_terms.
    """
    batch = teacher.shape[0] // GLOBAL_CROPS
    p_s = softmax_rows(student / tau_s)
    q_t = softmax_rows((teacher - center) / tau_t)
    n_terms = GLOBAL_CROPS * student_crops - min(GLOBAL_CROPS, student_crops)
    grad = np.zeros_like(student)
    for i in range(GLOBAL_CROPS):
        for v in range(student_crops):
            if v == i:
                continue
            rows = slice(v * batch, (v + 1) * batch)
            grad[rows] += (p_s[rows] - q_t[i * batch:(i + 1) * batch]) / tau_s
    return grad / (batch * n_terms)


def update_center(center, teacher, momentum):
    """DINOLoss.update_center restated (world size 1)."""
    batch_center = teacher.sum(axis=0, keepdims=True) / teacher.shape[0]
    return center * momentum + batch_center * (1.0 - momentum)


def cosine_schedule(base, final, epochs, niter_per_ep, warmup_epochs=0, start_warmup_value=0.0):
    """utils.cosine_scheduler restated."""
    warmup_iters = warmup_epochs * niter_per_ep
    warm = np.linspace(start_warmup_value, base, warmup_iters) if warmup_epochs > 0 else np.array([])
    n = epochs * niter_per_ep - warmup_iters
    body = np.array([final + 0.5 * (base - final) * (1.0 + math.cos(math.pi * i / n)) for i in range(n)])
    out = np.concatenate((warm, body))
    assert len(out) == epochs * niter_per_ep
    return out


def teacher_temp_schedule(warmup_temp, temp, warmup_epochs, nepochs):
    """The teacher_temp_schedule array built in DINOLoss.__init__, restated."""
    return np.concatenate((np.linspace(warmup_temp, temp, warmup_epochs),
                           np.full(nepochs - warmup_epochs, temp)))


def fmt(x):
    return "%.10g" % x


def fmt_arr(a):
    return "[" + ", ".join(fmt(v) for v in np.asarray(a).ravel()) + "]"


def main():
    print("# DINO loss (main_dino.py DINOLoss.forward), float64")
    # (a) normal temperatures, non-zero center, 2 global + 2 local crops
    la, qa, lsa, na = dino_loss(STUDENT, TEACHER, CENTER, 4, 0.1, 0.04)
    la_diag, _, _, na_diag = dino_loss(STUDENT, TEACHER, CENTER, 4, 0.1, 0.04, skip_same_view=False)
    print("a.loss (tau_s=0.1, tau_t=0.04, center, 4 crops) =", fmt(la), " n_terms =", na)
    print("a.loss_if_same_view_pairs_were_included =", fmt(la_diag), " n_terms =", na_diag)
    print("a.teacher_probs =", fmt_arr(qa))
    print("a.student_log_probs =", fmt_arr(lsa))
    ga = dino_loss_grad_student(STUDENT, TEACHER, CENTER, 4, 0.1, 0.04)
    print("a.grad_student =", fmt_arr(ga))

    # (b) tau_t = tau_s: no sharpening
    lb, _, _, nb = dino_loss(STUDENT, TEACHER, CENTER, 4, 0.1, 0.1)
    print("b.loss (tau_s=tau_t=0.1, center, 4 crops) =", fmt(lb), " n_terms =", nb)

    # (c) collapse: all rows identical, zero center
    s_c = np.tile(COLLAPSE_STUDENT_ROW, (4 * B, 1))
    t_c = np.tile(COLLAPSE_TEACHER_ROW, (GLOBAL_CROPS * B, 1))
    lc, qc, _, nc = dino_loss(s_c, t_c, np.zeros((1, K)), 4, 0.1, 0.04)
    print("c.loss (identical rows, zero center, tau_s=0.1, tau_t=0.04) =", fmt(lc), " n_terms =", nc)
    print("c.teacher_prob_row =", fmt_arr(qc[0]))

    # (d) no multi-crop: student sees only the 2 global crops
    s_d = STUDENT[:GLOBAL_CROPS * B]
    ld, _, _, nd = dino_loss(s_d, TEACHER, CENTER, 2, 0.1, 0.04)
    ld_diag, _, _, nd_diag = dino_loss(s_d, TEACHER, CENTER, 2, 0.1, 0.04, skip_same_view=False)
    print("d.loss (2 student crops, tau_s=0.1, tau_t=0.04, center) =", fmt(ld), " n_terms =", nd)
    print("d.loss_if_same_view_pairs_were_included =", fmt(ld_diag), " n_terms =", nd_diag)

    print()
    print("# DINOLoss.update_center, m = 0.9")
    print("center.updated =", fmt_arr(update_center(CENTER, TEACHER, 0.9)))

    print()
    print("# utils.cosine_scheduler (epochs=4, niter_per_ep=5)")
    print("lr (5e-4 -> 1e-6, warmup 1 epoch from 0) =",
          fmt_arr(cosine_schedule(5e-4, 1e-6, 4, 5, warmup_epochs=1, start_warmup_value=0.0)))
    print("momentum (0.996 -> 1, no warmup) =", fmt_arr(cosine_schedule(0.996, 1.0, 4, 5)))
    print("weight_decay (0.04 -> 0.4, no warmup) =", fmt_arr(cosine_schedule(0.04, 0.4, 4, 5)))

    print()
    print("# DINOLoss.__init__ teacher_temp_schedule (0.04 -> 0.07, warmup 3 of 10)")
    print("teacher_temp =", fmt_arr(teacher_temp_schedule(0.04, 0.07, 3, 10)))


if __name__ == "__main__":
    main()
