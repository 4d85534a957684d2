/**
 * The teacher's last-block CLS attention over the fixed probe images: a heat map per image and
 * the patches holding `attentionMass` of it (DINO's figure), scored against the object mask.
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import './probes.css';
import { actions, selectProbe, useAppStore, type StoreState } from '../../state/store';
import type { AttentionProbe } from '../../methods/probes';
import { headMap, heatToRgba, imageToRgba, maskJaccard, massMask } from './draw';
import { drawKey, scheduleDraw } from '../drawQueue';
import { blitScaled, upscale } from './canvas';

type Overlay = 'heat' | 'kept' | 'both';

const OVERLAYS: { value: Overlay; label: string }[] = [
  { value: 'heat', label: 'Heat' },
  { value: 'kept', label: 'Kept patches' },
  { value: 'both', label: 'Both' },
];

const selectAttention = selectProbe('attention');
const selectHead = (s: StoreState) => s.attentionHead;
const selectMass = (s: StoreState) => {
  const value = s.experiment.values.attentionMass;
  return typeof value === 'number' ? value : 0.6;
};

const HEAT_ALPHA = 150; // of 255: the image stays readable under the heat map
const DIM = 'rgba(0, 0, 0, 0.6)';
const OUTLINE = '#3ef0ff'; // cyan: apart from every inferno colour

export function AttentionView() {
  const probe = useAppStore(selectAttention);
  const head = useAppStore(selectHead);
  const mass = useAppStore(selectMass);
  const [overlay, setOverlay] = useState<Overlay>('both');
  const canvases = useRef<(HTMLCanvasElement | null)[]>([]);
  const groupName = useId();
  const massId = useId();

  // A head picked on a wider model falls back to the mean.
  const shownHead = probe && head < probe.heads ? head : -1;
  const maps = useMemo(
    () => (probe ? Array.from({ length: probe.count }, (_, i) => headMap(probe, i, shownHead)) : []),
    [probe, shownHead],
  );
  const kept = useMemo(() => maps.map((map) => massMask(map, mass)), [maps, mass]);
  // Own images have no object masks: no Jaccard to show.
  const jaccards = useMemo(() => {
    const masks = probe?.masks;
    if (!probe || !masks) return [];
    const area = probe.imageSize * probe.imageSize;
    return kept.map((k, i) => maskJaccard(k, probe.grid, masks.subarray(i * area, (i + 1) * area), probe.imageSize));
  }, [probe, kept]);

  useEffect(() => {
    if (!probe) return;
    // One draw per image: the queue spreads them over small tasks.
    const cancels = maps.map((map, i) => scheduleDraw(drawKey(canvases, i), () => {
      const canvas = canvases.current[i];
      if (canvas) drawAttention(canvas, probe, i, map, kept[i], overlay);
    }));
    return () => cancels.forEach((cancel) => cancel());
  }, [probe, maps, kept, overlay]);

  if (!probe) {
    return (
      <section className="probe-view" data-testid="attention-view">
        <p className="probe-view__empty">Attention maps appear when the run starts</p>
      </section>
    );
  }

  const meanJaccard = jaccards.reduce((a, b) => a + b, 0) / Math.max(jaccards.length, 1);
  const headLabel = shownHead < 0 ? 'mean of heads' : `head ${shownHead + 1}`;
  const headOptions = [-1, ...Array.from({ length: probe.heads }, (_, h) => h)];

  return (
    <section className="probe-view" data-testid="attention-view">
      <div className="probe-controls">
        <fieldset className="segmented">
          <legend>Attention head</legend>
          {headOptions.map((h) => (
            <label key={h} className="segmented__option">
              <input
                type="radio" name={`${groupName}-head`} value={h} checked={shownHead === h}
                onChange={() => actions.setAttentionHead(h)}
              />
              <span>{h < 0 ? 'Mean' : `Head ${h + 1}`}</span>
            </label>
          ))}
        </fieldset>
        <fieldset className="segmented">
          <legend>Overlay</legend>
          {OVERLAYS.map((o) => (
            <label key={o.value} className="segmented__option">
              <input
                type="radio" name={`${groupName}-overlay`} value={o.value} checked={overlay === o.value}
                onChange={() => setOverlay(o.value)}
              />
              <span>{o.label}</span>
            </label>
          ))}
        </fieldset>
        <div className="probe-slider">
          <label htmlFor={massId}>Attention mass</label>
          <input
            id={massId} type="range" min={0.05} max={1} step={0.05} value={mass}
            onChange={(e) => actions.setValue('attentionMass', Math.round(Number(e.target.value) * 100) / 100)}
          />
          <output htmlFor={massId}>{mass.toFixed(2)}</output>
        </div>
      </div>

      <p className="probe-view__caption">
        {probe.network[0].toUpperCase() + probe.network.slice(1)}’s CLS-token attention at step {probe.step} ({headLabel}); outlined
        patches hold {Math.round(mass * 100)}% of it.
        {jaccards.length > 0 && (
          <span> Mean <abbr title="Jaccard index: overlap of the outlined patches with the object’s mask, from 0 (none) to 1 (exactly the object)">J</abbr> {meanJaccard.toFixed(2)}</span>
        )}
      </p>

      <ul className="attention-grid">
        {maps.map((_, i) => (
          <li key={i} className="attention-grid__item">
            <canvas
              ref={(el) => { canvases.current[i] = el; }}
              className="pixel-canvas attention-grid__canvas"
              data-testid="attention-canvas"
              role="img"
              aria-label={`Probe image ${i + 1}, ${headLabel}${jaccards.length > 0 ? `, Jaccard ${jaccards[i].toFixed(2)}` : ''}`}
            />
            {jaccards.length > 0 && (
              <span className="probe-view__metric" title="Jaccard index of the kept patches against the object mask">
                J {jaccards[i].toFixed(2)}
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Image, then the heat map (blocky: one square per patch), then the kept patches' dimming/outline. */
function drawAttention(
  canvas: HTMLCanvasElement, probe: AttentionProbe, index: number, map: Float32Array, kept: Uint8Array, overlay: Overlay,
): void {
  const { imageSize: size, grid } = probe;
  const side = size * upscale(size);
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  blitScaled(ctx, imageToRgba(probe.images, index * size * size * 3, size), size, size);
  if (overlay !== 'kept') blitScaled(ctx, heatToRgba(map, HEAT_ALPHA), grid, grid);
  if (overlay === 'heat') return;

  const cell = side / grid;
  const isKept = (r: number, c: number) => r >= 0 && c >= 0 && r < grid && c < grid && kept[r * grid + c] === 1;
  if (overlay === 'kept') {
    ctx.fillStyle = DIM;
    for (let r = 0; r < grid; r++) for (let c = 0; c < grid; c++) if (!isKept(r, c)) ctx.fillRect(c * cell, r * cell, cell, cell);
  }
  // Outline the kept region: a patch edge is drawn where its neighbour is not kept.
  ctx.strokeStyle = OUTLINE;
  ctx.lineWidth = Math.max(2, side / 64);
  ctx.lineCap = 'square';
  ctx.beginPath();
  for (let r = 0; r < grid; r++) {
    for (let c = 0; c < grid; c++) {
      if (!isKept(r, c)) continue;
      const x = c * cell;
      const y = r * cell;
      if (!isKept(r - 1, c)) { ctx.moveTo(x, y); ctx.lineTo(x + cell, y); }
      if (!isKept(r + 1, c)) { ctx.moveTo(x, y + cell); ctx.lineTo(x + cell, y + cell); }
      if (!isKept(r, c - 1)) { ctx.moveTo(x, y); ctx.lineTo(x, y + cell); }
      if (!isKept(r, c + 1)) { ctx.moveTo(x + cell, y); ctx.lineTo(x + cell, y + cell); }
    }
  }
  ctx.stroke();
}
