/**
 * The two-view cosine similarity matrix of one training batch: view 1 of images 0..B−1 then
 * view 2 on both axes, so the positive pairs are the two off-diagonals of the cross blocks.
 * Positives well above negatives is the contrastive/invariance signal; a single-colour matrix
 * is collapse.
 */
import { useEffect, useMemo, useRef } from 'react';
import '../probes.css';
import './similarity.css';
import { selectProbe, useAppStore } from '../../../state/store';
import type { SimilarityProbe } from '../../../methods/probes';
import { similaritySummary, similarityToRgba } from './similarityDraw';
import { scheduleDraw } from '../../drawQueue';
import { blitScaled, upscale } from '../canvas';

const selectSimilarity = selectProbe('similarity');

const TARGET_PX = 256; // the heat map's backing-store side, in whole steps per cell
const SEPARATOR = 'rgba(29, 35, 48, 0.75)';

const formatMean = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');

export function SimilarityView() {
  const probe = useAppStore(selectSimilarity);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const summary = useMemo(() => (probe ? similaritySummary(probe.matrix, probe.size) : null), [probe]);

  useEffect(() => scheduleDraw(canvasRef, () => {
    if (probe && canvasRef.current) drawSimilarity(canvasRef.current, probe);
  }), [probe]);

  if (!probe || !summary) return null;

  const batch = Math.floor(probe.size / 2);
  return (
    <section className="probe-view" data-testid="similarity-view">
      <figure className="similarity-view">
        <figcaption className="probe-view__caption">
          Cosine similarity between the two views of step {probe.step}’s batch ({batch} images): view 1 then view 2 on
          both axes; the red off-diagonals are the positive pairs (two views of one image), everything else is a
          negative. A collapsed run turns the whole matrix one colour.
        </figcaption>
        <div className="similarity-view__grid">
          <div className="similarity-view__top" aria-hidden="true">
            <span>view 1</span>
            <span>view 2</span>
          </div>
          <div className="similarity-view__left" aria-hidden="true">
            <span>view 1</span>
            <span>view 2</span>
          </div>
          <canvas
            ref={canvasRef}
            className="pixel-canvas similarity-view__canvas"
            data-testid="similarity-canvas"
            data-size={probe.size}
            role="img"
            aria-label={`Cosine similarity matrix of ${probe.size} embeddings (${batch} images, two views each)`}
          />
        </div>
        <div className="similarity-view__scale" aria-hidden="true">
          <span>−1</span>
          <span className="similarity-view__gradient" />
          <span>+1</span>
        </div>
        <p
          className="help similarity-view__summary" data-testid="similarity-summary"
          title="Mean cosine similarity of the positive pairs (two views of one image) and of every other off-diagonal pair"
        >
          positives {formatMean(summary.positive)} · negatives {formatMean(summary.negative)}
        </p>
      </figure>
    </section>
  );
}

/** The matrix scaled up nearest-neighbour, with lines between the view-1 and view-2 blocks. */
function drawSimilarity(canvas: HTMLCanvasElement, probe: SimilarityProbe): void {
  const { size } = probe;
  if (size <= 0) return;
  const k = upscale(size, TARGET_PX);
  const side = size * k;
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  blitScaled(ctx, similarityToRgba(probe.matrix, size), size, size);
  const split = Math.floor(size / 2) * k;
  const line = Math.max(1, Math.round(side / TARGET_PX));
  ctx.fillStyle = SEPARATOR;
  ctx.fillRect(split - Math.floor(line / 2), 0, line, side);
  ctx.fillRect(0, split - Math.floor(line / 2), side, line);
}
