/**
 * What an evaluation of a run measures (plain, structured-cloneable data: the worker posts it,
 * the page tabulates it). Each score is computed for the run's frozen features and, beside it,
 * for the same architecture at its random initialisation (same seed, step 0).
 */

/** Fractions of the labelled training masks the segmentation probe trains on (the DeP/LOCA-style label-efficiency sweep). */
export const SEGMENTATION_FRACTIONS = [0.01, 0.1, 1] as const;

export interface EvaluationScores {
  /** Weighted kNN top-1 accuracy on the held-out split (cosine, k = 20, T = 0.07, as DINO's eval_knn). */
  knn: number;
  /** Linear probe top-1 accuracy on the held-out split (a softmax layer on frozen features). */
  linear: number;
  /**
   * Segmentation probe mIoU on the held-out split (background + each shape class), one per
   * SEGMENTATION_FRACTIONS entry, in that order; absent for methods without dense features.
   */
  segmentation?: number[];
  /**
   * Mean Jaccard index between the CLS attention's mass-0.6 mask (heads averaged) and the
   * object mask, over the held-out split; ViTs only.
   */
  jaccard?: number;
  /**
   * Segmentation mIoU after fine-tuning the whole network (with a new 1×1 head) on each
   * SEGMENTATION_FRACTIONS share of the labelled masks, object vs background; methods whose point
   * is label-efficient fine-tuning (DeP/DDeP). Next to it, the baseline is the same fine-tuning
   * from the random initialisation.
   */
  fineTune?: number[];
}

export interface EvaluationRecord {
  step: number;
  scores: EvaluationScores;
  /** The same evaluation of the untrained network (computed once per run). */
  baseline: EvaluationScores;
  /** Wall time of the evaluation, ms (the baseline's included when it was computed this time). */
  ms: number;
}

/** Names and labels of the score columns, in table order (segmentation expanded per fraction). */
export function scoreColumns(): {
  id: string; label: string; help: string;
  /** Columns sharing a heading (the label fractions): the heading, and this column's short label under it. */
  group?: { label: string; short: string };
  get: (s: EvaluationScores) => number | undefined;
}[] {
  return [
    { id: 'knn', label: 'kNN', help: 'Weighted 20-NN top-1 accuracy on held-out images (cosine, T = 0.07)', get: (s) => s.knn },
    { id: 'linear', label: 'Linear', help: 'Linear probe top-1 accuracy on held-out images', get: (s) => s.linear },
    ...SEGMENTATION_FRACTIONS.map((fraction, i) => ({
      id: `seg${fraction * 100}`,
      label: `Seg mIoU ${fraction * 100}%`,
      group: { label: 'Seg mIoU', short: `${fraction * 100}%` },
      help: `Segmentation probe mIoU with ${fraction * 100}% of the labelled masks`,
      get: (s: EvaluationScores) => s.segmentation?.[i],
    })),
    ...SEGMENTATION_FRACTIONS.map((fraction, i) => ({
      id: `ft${fraction * 100}`,
      label: `Fine-tune mIoU ${fraction * 100}%`,
      group: { label: 'Fine-tune mIoU', short: `${fraction * 100}%` },
      help: `mIoU after fine-tuning the whole network on ${fraction * 100}% of the labelled masks (the baseline: the same fine-tuning from random initialisation)`,
      get: (s: EvaluationScores) => s.fineTune?.[i],
    })),
    { id: 'jaccard', label: 'Attn Jaccard', help: 'Jaccard index of the thresholded CLS attention vs the object mask', get: (s) => s.jaccard },
  ];
}
