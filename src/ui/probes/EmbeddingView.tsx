/**
 * "Embedding space": held-out images' embeddings on their first two principal components,
 * coloured by the class the network was never told. Class clusters mean the representation
 * separates the shapes; one dot where all points coincide means it has collapsed.
 */
import { useEffect, useMemo, useRef } from 'react';
import './probes.css';
import './embedding.css';
import { selectProbe, useAppStore } from '../../state/store';
import { scheduleDraw } from '../drawQueue';
import { classColor, classShape, fitScatter, formatPercent, traceMarker, type ClassShape, type ScatterFit } from './embeddingDraw';

const selectEmbedding = selectProbe('embedding');

const SIDE_CSS_PX = 320; // the scatter's displayed side
const MARGIN_CSS_PX = 14; // room for the outermost points' radius
const POINT_RADIUS = 3;
const AXIS_COLOR = '#b9bec9';
const POINT_OUTLINE = 'rgba(0, 0, 0, 0.35)'; // keeps the yellow class visible on white

export function EmbeddingView() {
  const probe = useAppStore(selectEmbedding);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const fit = useMemo(() => (probe ? fitScatter(probe.points, SIDE_CSS_PX, SIDE_CSS_PX, MARGIN_CSS_PX) : null), [probe]);

  useEffect(() => scheduleDraw(canvasRef, () => {
    const canvas = canvasRef.current;
    if (!canvas || !probe || !fit) return;
    drawScatter(canvas, fit, probe.labels);
  }), [probe, fit]);

  if (!probe || !fit) return null;

  const [pc1, pc2] = probe.explained;
  return (
    <section className="probe-view" data-testid="embedding-view">
      <figure className="embedding-view">
        <figcaption className="probe-view__caption">
          Embedding space at step {probe.step}: {probe.count} held-out images on their first two principal components
          (PC1 {formatPercent(pc1)}, PC2 {formatPercent(pc2)} of the variance), coloured and shaped by class — clusters by class mean
          the representation separates classes it was never told about.
        </figcaption>
        <div className="embedding-view__body">
          <canvas
            ref={canvasRef}
            className="embedding-view__canvas"
            style={{ width: SIDE_CSS_PX }}
            data-testid="embedding-canvas"
            data-points={fit.drawn}
            role="img"
            aria-label={`Scatter of ${fit.drawn} embeddings on PC1 (horizontal) and PC2 (vertical), coloured and shaped by class`}
          />
          <ul className="probe-legend-list embedding-legend" aria-label="Classes" data-testid="embedding-legend">
            {probe.classNames.map((name, label) => (
              <li key={label} className="embedding-legend__item">
                <svg className="embedding-legend__marker" viewBox="-6 -6 12 12" aria-hidden="true">
                  <path d={markerPath(classShape(label), 4)} fill={classColor(label)} stroke="#1d2330" strokeWidth={0.75} />
                </svg>
                {name}
              </li>
            ))}
          </ul>
        </div>
        {fit.collapsed && (
          <p className="help embedding-view__collapsed" role="status" data-testid="embedding-collapsed">
            All points coincide: the representation has collapsed
          </p>
        )}
      </figure>
    </section>
  );
}

/** The marker as an SVG path (for the legend), traced by the same code as the canvas. */
function markerPath(shape: ClassShape, r: number): string {
  let d = '';
  traceMarker({
    moveTo: (x, y) => { d += `M${x} ${y}`; },
    lineTo: (x, y) => { d += `L${x} ${y}`; },
    closePath: () => { d += 'Z'; },
    rect: (x, y, w, h) => { d += `M${x} ${y}h${w}v${h}h${-w}Z`; },
    arc: (x, y, radius) => { d += `M${x - radius} ${y}a${radius} ${radius} 0 1 0 ${2 * radius} 0a${radius} ${radius} 0 1 0 ${-2 * radius} 0`; },
  }, shape, 0, 0, r);
  return d;
}

/** Axes through the data origin, then one dot per point, drawn at the device pixel ratio. */
function drawScatter(canvas: HTMLCanvasElement, fit: ScatterFit, labels: Int32Array): void {
  const dpr = Math.max(1, window.devicePixelRatio || 1);
  canvas.width = Math.round(SIDE_CSS_PX * dpr);
  canvas.height = Math.round(SIDE_CSS_PX * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, SIDE_CSS_PX, SIDE_CSS_PX);

  // Axes: 1 CSS px, on a half pixel so they stay crisp; skipped when off the canvas.
  ctx.strokeStyle = AXIS_COLOR;
  ctx.lineWidth = 1;
  ctx.beginPath();
  if (fit.originX >= 0 && fit.originX <= SIDE_CSS_PX) {
    const x = Math.round(fit.originX) + 0.5;
    ctx.moveTo(x, 0);
    ctx.lineTo(x, SIDE_CSS_PX);
  }
  if (fit.originY >= 0 && fit.originY <= SIDE_CSS_PX) {
    const y = Math.round(fit.originY) + 0.5;
    ctx.moveTo(0, y);
    ctx.lineTo(SIDE_CSS_PX, y);
  }
  ctx.stroke();

  ctx.lineWidth = 0.75;
  ctx.strokeStyle = POINT_OUTLINE;
  for (let i = 0; i < fit.x.length; i++) {
    const x = fit.x[i];
    const y = fit.y[i];
    if (Number.isNaN(x) || Number.isNaN(y)) continue;
    ctx.fillStyle = classColor(labels[i]); // a missing label (undefined) is greyed out
    ctx.beginPath();
    traceMarker(ctx, classShape(labels[i]), x, y, POINT_RADIUS);
    ctx.fill();
    ctx.stroke();
  }
}
