/**
 * The collapse panel of the focused run: a banner naming the collapse mode the detector sees,
 * every collapse curve of the method with its one-line meaning, the center as a live heat
 * strip, and the teacher and student output distributions for one probe image.
 */
import { useEffect, useRef, useState } from 'react';
import { collapseModesOf } from '../../methods/collapse';
import { getMethod } from '../../methods/registry';
import { actions, selectFocused, selectProbe, useAppStore, type StoreState } from '../../state/store';
import { MetricChart } from '../charts/MetricChart';
import { drawKey, scheduleDraw } from '../drawQueue';
import { blitScaled } from '../probes/canvas';
import { binMax, descendingOrder, entropy, vectorsToRgba } from './draw';
import './collapse.css';
import { PALETTE } from '../../methods/palette';

const selectFocusedRun = (state: StoreState) => selectFocused(state);
const selectDistribution = selectProbe('distribution');
const selectProbeImage = (state: StoreState) => state.probeImage;
const selectProbeImages = selectProbe('attention');

export function CollapsePanel() {
  const run = useAppStore(selectFocusedRun);
  if (!run) return null;
  const method = getMethod(run.methodId);
  const charts = method.charts(run.values).filter((chart) => chart.section === 'collapse');
  return (
    <section className="collapse-panel" aria-label="Collapse">
      <h2>Collapse: {run.name}</h2>
      <CollapseBanner />
      <div className="collapse-grid">
        {charts.map((chart) => (
          <MetricChart key={chart.id} title={chart.title} help={chart.help} metrics={chart.lines}
            references={chart.references} logY={chart.logY} height={150} emptyText={chart.waiting ?? 'Train to see it'}
            yLabel={chart.yLabel} stages={chart.stages} />
        ))}
      </div>
      {method.vectors?.map((vector) => <VectorStrip key={vector.name} {...vector} />)}
      <DistributionView />
    </section>
  );
}

/** Names the active collapse mode (or the last one the run recovered from). */
function CollapseBanner() {
  const run = useAppStore(selectFocusedRun);
  if (!run) return null;
  const modes = collapseModesOf(getMethod(run.methodId));
  const { active, episodes } = run.detector;
  const shown = active ?? episodes[episodes.length - 1];
  if (!shown) {
    const records = run.history.steps.length;
    return (
      <p className="collapse-banner collapse-banner--ok" role="status" data-testid="collapse-banner">
        {records === 0 ? 'No metrics yet: the detector watches every metrics window once the run trains.' : 'No collapse detected.'}
      </p>
    );
  }
  const mode = modes.find((m) => m.id === shown.mode);
  return (
    <div className={active ? 'collapse-banner collapse-banner--active' : 'collapse-banner collapse-banner--past'}
      role={active ? 'alert' : 'status'} data-testid="collapse-banner" data-mode={shown.mode}>
      <strong>
        {mode?.label ?? shown.mode} {active ? `since step ${shown.since}` : `from step ${shown.since} to ${shown.until}`}
      </strong>
      <span>: {mode?.symptom}.</span>
      <p>{mode?.prevention}</p>
    </div>
  );
}

const HISTORY_ROWS = 48;

/** One of the method's vectors (DINO: the center) as a heat strip, newest row at the bottom. */
function VectorStrip({ name, title, help }: { name: string; title: string; help: string }) {
  const run = useAppStore(selectFocusedRun);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const rows = useRef<{ key: number; vectors: Float32Array[] }>({ key: -1, vectors: [] });
  const [scale, setScale] = useState(0);
  const center = run?.vectors[name];
  const key = run?.key ?? -1;
  useEffect(() => {
    if (rows.current.key !== key) rows.current = { key, vectors: [] };
    if (!center) return;
    const list = rows.current.vectors;
    if (list[list.length - 1] !== center) list.push(center);
    if (list.length > HISTORY_ROWS) list.splice(0, list.length - HISTORY_ROWS);
    const rowsNow = list.slice();
    return scheduleDraw(canvasRef, () => {
      const canvas = canvasRef.current;
      if (!canvas) return;
      const { rgba, scale: max } = vectorsToRgba(rowsNow, center.length);
      canvas.width = Math.max(center.length, 256);
      canvas.height = 96;
      const ctx = canvas.getContext('2d')!;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      const rowHeight = canvas.height / HISTORY_ROWS;
      // The rows at the bottom of the canvas, newest last.
      const height = rowsNow.length * rowHeight;
      blitScaled(ctx, rgba, center.length, rowsNow.length, 0, canvas.height - height, canvas.width, height);
      setScale(max);
    });
  }, [center, key]);
  return (
    <figure className="center-strip" data-testid={`vector-${name}`} data-rows={center ? 'yes' : 'no'}>
      <figcaption title={help}>
        {title} over its {center?.length ?? ''} dimensions (rows: metrics windows, newest at the bottom; blue −, red +
        {scale > 0 ? `, |values| up to ${scale.toPrecision(2)}` : ''})
      </figcaption>
      <canvas ref={canvasRef} width={256} height={96} aria-label={`${title} heat strip`} />
      {!center && <p className="help">Appears with the first metrics window.</p>}
    </figure>
  );
}

/** Teacher targets (centered, sharpened) above the student's softmax, for one probe image. */
function DistributionView() {
  const probe = useAppStore(selectDistribution);
  const images = useAppStore(selectProbeImages);
  const chosen = useAppStore(selectProbeImage);
  const [sorted, setSorted] = useState(true);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const thumbs = useRef<(HTMLCanvasElement | null)[]>([]);
  const index = probe ? Math.min(chosen, probe.count - 1) : 0;

  useEffect(() => {
    if (!images) return;
    const area = images.imageSize * images.imageSize * 3;
    const cancels = thumbs.current.map((_, i) => scheduleDraw(drawKey(thumbs, i), () => {
      const canvas = thumbs.current[i];
      if (!canvas) return;
      const rgba = new Uint8ClampedArray(images.imageSize * images.imageSize * 4);
      for (let p = 0; p < images.imageSize * images.imageSize; p++) {
        rgba[p * 4] = images.images[i * area + p * 3] * 255;
        rgba[p * 4 + 1] = images.images[i * area + p * 3 + 1] * 255;
        rgba[p * 4 + 2] = images.images[i * area + p * 3 + 2] * 255;
        rgba[p * 4 + 3] = 255;
      }
      blitScaled(canvas.getContext('2d')!, rgba, images.imageSize, images.imageSize);
    }));
    return () => cancels.forEach((cancel) => cancel());
  }, [images]);

  const K = probe?.classes ?? 0;
  const teacher = probe ? probe.teacher.subarray(index * K, (index + 1) * K) : null;
  const student = probe ? probe.student.subarray(index * K, (index + 1) * K) : null;

  useEffect(() => scheduleDraw(canvasRef, () => {
    const canvas = canvasRef.current;
    if (!canvas || !teacher || !student) return;
    const width = canvas.width;
    const half = canvas.height / 2;
    const ctx = canvas.getContext('2d')!;
    ctx.clearRect(0, 0, width, canvas.height);
    const order = sorted ? descendingOrder(teacher) : Array.from({ length: K }, (_, i) => i);
    const bins = Math.min(K, width);
    const t = binMax(teacher, order, bins);
    const s = binMax(student, order, bins);
    const top = Math.max(...t, ...s, 1e-6);
    const barWidth = width / bins;
    ctx.fillStyle = PALETTE.vermillion;
    t.forEach((v, i) => ctx.fillRect(i * barWidth, half - (v / top) * (half - 2), Math.max(1, barWidth - 0.5), (v / top) * (half - 2)));
    ctx.fillStyle = PALETTE.blue;
    s.forEach((v, i) => ctx.fillRect(i * barWidth, half, Math.max(1, barWidth - 0.5), (v / top) * (half - 2)));
    ctx.fillStyle = PALETTE.grey;
    ctx.fillRect(0, half, width, 1);
  }), [teacher, student, sorted, K]);

  // Only methods with a softmax over prototypes send this probe.
  if (!probe) return null;
  return (
    <figure className="distribution-view" data-testid="distribution-view">
      <figcaption title="Sharpening shows as the teacher's peak standing above the student's; a flat teacher is uniform collapse, one tall bar for every image is one-dimension collapse.">
        Output distributions over the K = {K || '…'} prototypes for one probe image
        {probe && ` (step ${probe.step}, τ_t = ${probe.teacherTemperature.toPrecision(2)}, τ_s = ${probe.studentTemperature})`}
      </figcaption>
      {images && (
        <div className="probe-picker" role="radiogroup" aria-label="Probe image">
          {Array.from({ length: images.count }, (_, i) => (
            <button key={i} type="button" role="radio" aria-checked={i === index} aria-label={`Probe image ${i + 1}`}
              className={i === index ? 'thumb thumb--chosen' : 'thumb'} onClick={() => actions.setProbeImage(i)}>
              <canvas ref={(el) => { thumbs.current[i] = el; }} width={32} height={32} />
            </button>
          ))}
        </div>
      )}
      <canvas ref={canvasRef} width={512} height={140} aria-label="Teacher (red, up) and student (blue, down) distributions" />
      {teacher && student && (
        <p className="help" data-testid="distribution-stats">
          <span className="legend-teacher">■</span> teacher H = {entropy(teacher).toFixed(2)}, max p = {Math.max(...teacher).toFixed(2)} ·{' '}
          <span className="legend-student">■</span> student H = {entropy(student).toFixed(2)}, max p = {Math.max(...student).toFixed(2)} · ln K = {Math.log(K).toFixed(2)}
          <label className="sorted-toggle">
            <input type="checkbox" checked={sorted} onChange={(event) => setSorted(event.target.checked)} /> sort by teacher
          </label>
        </p>
      )}
    </figure>
  );
}
